import Foundation
import Logging
import Synchronization

/// One warm Lambda worker: the function's real binary, talking to a Runtime API server of its own.
///
/// The worker serves one invocation at a time. A timeout kills the process; an exit during an
/// invocation is a crash (or an init failure when it never asked for work).
actor WorkerProcess: RuntimeAPIEndpoint {
    struct Current {
        var requestID: String
        var continuation: CheckedContinuation<InvocationOutcome, Never>
        var timer: Task<Void, Never>?
        var pickedUp = false
    }

    /// Time a new worker gets to ask for its first invocation.
    static let initTimeout: Duration = .seconds(10)

    let function: FunctionDefinition
    nonisolated let number: Int
    let binary: String
    let environment: [String: String]
    let logger: Logger
    let metrics: RunnerMetrics
    let onExit: @Sendable (WorkerProcess) async -> Void

    var process: Process?
    var server: RuntimeAPIServer.Running?
    var spawnedAt = ContinuousClock.now
    var ready = false
    var exited = false
    /// True when the last invocation failed because the worker died before handing it to the function
    /// (it was idle and nobody had noticed yet): the function never saw it, so it is safe to run it elsewhere.
    private(set) var lostBeforeDelivery = false
    var doomed = false
    var initError: String?
    var nextWaiter: CheckedContinuation<PendingInvocation?, Never>?
    var queued: PendingInvocation?
    var current: Current?
    var exitWaiters: [CheckedContinuation<Void, Never>] = []

    init(
        function: FunctionDefinition, number: Int, binary: String, environment: [String: String], logger: Logger,
        metrics: RunnerMetrics, onExit: @escaping @Sendable (WorkerProcess) async -> Void
    ) {
        self.function = function
        self.number = number
        self.binary = binary
        self.environment = environment
        var logger = logger
        logger[metadataKey: "worker"] = "\(number)"
        self.logger = logger
        self.metrics = metrics
        self.onExit = onExit
    }

    /// Whether the worker can take another invocation.
    /// Also false as soon as the process is known to be gone, before its exit has been handled here.
    var isUsable: Bool {
        guard !exited, !doomed else { return false }
        guard let process else { return true }
        return !Self.hasExited(process.processIdentifier)
    }

    /// True when the process has exited, even before it is reaped (a zombie, which `Process.isRunning` still
    /// reports as running): `waitid` with `WNOWAIT` looks without reaping, so Foundation still reaps it.
    static func hasExited(_ pid: Int32) -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return true }
        return info._sifields._sigchld.si_pid != 0
    }

    /// The process id, once started.
    var pid: Int32? { process?.processIdentifier }

    /// Starts the Runtime API server and the process.
    func start() async throws(LocalRunnerError) {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw LocalRunnerError(.functionBinary, "no executable for \(function.logicalId) at \(binary)")
        }
        let server = try await RuntimeAPIServer.start(endpoint: self, logger: logger)
        self.server = server
        // stop() may have run while the server was starting (shutdown racing a first use or a replacement):
        // starting the process now would leave it running after the runner has stopped its workers.
        guard !doomed else {
            server.stop()
            throw LocalRunnerError(.process, "worker \(number) of \(function.logicalId) was stopped while starting")
        }
        var env = environment
        env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(server.port)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: binary).deletingLastPathComponent()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let label = function.logicalId
        OutputForwarder.forward(stdout.fileHandleForReading, prefix: label, stream: "stdout", logger: logger)
        OutputForwarder.forward(stderr.fileHandleForReading, prefix: label, stream: "stderr", logger: logger)
        process.terminationHandler = { [weak self] p in
            let reason =
                p.terminationReason == .uncaughtSignal
                ? "killed by signal \(p.terminationStatus)" : "exited with status \(p.terminationStatus)"
            guard let self else { return }
            Task { await self.processExited(reason: reason) }
        }
        spawnedAt = .now
        do {
            try process.run()
        } catch {
            server.stop()
            throw LocalRunnerError(.functionBinary, "cannot start \(binary): \(error.localizedDescription)")
        }
        self.process = process
        logger.debug("worker started", metadata: ["pid": "\(process.processIdentifier)"])
    }

    /// Runs one invocation on this worker.
    func invoke(payload: [UInt8], requestID: String) async -> InvocationOutcome {
        guard isUsable else {
            lostBeforeDelivery = true
            return .crashed("worker is gone")
        }
        lostBeforeDelivery = false
        let deadline = Int64(Date().timeIntervalSince1970 * 1000) + Int64(function.timeout) * 1000
        let invocation = PendingInvocation(
            requestID: requestID, payload: payload, deadlineMilliseconds: deadline,
            functionARN: "arn:aws:lambda:us-east-1:000000000000:function:\(function.logicalId)")
        return await withCheckedContinuation { continuation in
            current = Current(requestID: requestID, continuation: continuation)
            if let waiter = nextWaiter {
                nextWaiter = nil
                pickUp(invocation)
                waiter.resume(returning: invocation)
            } else {
                queued = invocation
                // Not waiting in /next: still initialising, or a warm worker that has not come back for work.
                // Either way the caller must not wait forever (the timer restarts when it picks the work up).
                if ready {
                    armTimer(.seconds(function.timeout), requestID: requestID, initialising: false)
                } else {
                    armTimer(Self.initTimeout, requestID: requestID, initialising: true)
                }
            }
        }
    }

    func pickUp(_ invocation: PendingInvocation) {
        guard current?.requestID == invocation.requestID else { return }
        current?.pickedUp = true
        armTimer(.seconds(function.timeout), requestID: invocation.requestID, initialising: false)
    }

    func armTimer(_ duration: Duration, requestID: String, initialising: Bool) {
        current?.timer?.cancel()
        current?.timer = Task { [weak self] in
            try? await Task.sleep(for: duration)
            guard !Task.isCancelled, let self else { return }
            await self.timerFired(requestID: requestID, initialising: initialising)
        }
    }

    func timerFired(requestID: String, initialising: Bool) {
        guard let c = current, c.requestID == requestID else { return }
        current = nil
        doomed = true
        queued = nil
        let outcome: InvocationOutcome
        if initialising {
            logger.error("\(function.logicalId) did not ask for work within \(Self.initTimeout); killing it")
            outcome = .initFailed("no /next within \(Self.initTimeout)")
        } else {
            logger.warning(
                "\(function.logicalId) timed out after \(function.timeout) s; killing worker",
                metadata: ["requestID": "\(requestID)"])
            outcome = .timeout(seconds: function.timeout)
        }
        kill(SIGKILL)
        c.continuation.resume(returning: outcome)
    }

    func kill(_ signal: Int32) {
        guard let process else { return }
        // The worker leads its own process group (Foundation's Process): signal the group so that
        // anything it started goes too.
        let pid = process.processIdentifier
        if Foundation.kill(-pid, signal) != 0, process.isRunning { Foundation.kill(pid, signal) }
    }

    // MARK: RuntimeAPIEndpoint

    func nextInvocation() async -> PendingInvocation? {
        if !ready {
            ready = true
            let coldStart = ContinuousClock.now - spawnedAt
            metrics.recordColdStart(function: function.logicalId, duration: coldStart)
            logger.info(
                "cold start \(function.logicalId) worker \(number): \(Self.milliseconds(coldStart)) ms")
        }
        if exited || doomed { return nil }
        if let invocation = queued {
            queued = nil
            pickUp(invocation)
            return invocation
        }
        nextWaiter?.resume(returning: nil)
        return await withCheckedContinuation { nextWaiter = $0 }
    }

    func complete(requestID: String, outcome: InvocationOutcome) async -> Bool {
        guard let c = current, c.requestID == requestID else { return false }
        current = nil
        c.timer?.cancel()
        if case .functionError(let body) = outcome {
            logger.warning(
                "\(function.logicalId) returned an error: \(String(decoding: body, as: UTF8.self))",
                metadata: ["requestID": "\(requestID)"])
        }
        c.continuation.resume(returning: outcome)
        return true
    }

    func reportInitError(_ body: [UInt8]) async {
        let message = Self.errorMessage(body)
        initError = message
        logger.error("\(function.logicalId) init error: \(message)")
    }

    // MARK: Exit and stop

    func processExited(reason: String) async {
        guard !exited else { return }
        exited = true
        nextWaiter?.resume(returning: nil)
        nextWaiter = nil
        server?.stop()
        if !doomed {
            if ready {
                logger.warning("\(function.logicalId) worker \(number) \(reason)")
            } else {
                logger.error("\(function.logicalId) worker \(number) \(reason) before initialising")
            }
        }
        await onExit(self)
        if let c = current {
            current = nil
            c.timer?.cancel()
            lostBeforeDelivery = ready && !c.pickedUp
            let outcome: InvocationOutcome =
                ready ? .crashed(reason) : .initFailed(initError ?? "\(reason) before asking for work")
            c.continuation.resume(returning: outcome)
        }
        for waiter in exitWaiters { waiter.resume() }
        exitWaiters = []
    }

    /// Stops the worker and returns when the process is gone. Children inherit the runner's ignored
    /// SIGTERM/SIGINT (swift-service-lifecycle ignores them to catch them), so this is SIGKILL, sent once
    /// no invocation is in flight.
    func stop() async {
        doomed = true
        nextWaiter?.resume(returning: nil)
        nextWaiter = nil
        guard process != nil, !exited else {
            server?.stop()
            return
        }
        kill(SIGKILL)
        await withCheckedContinuation { exitWaiters.append($0) }
        server?.stop()
    }

    static func errorMessage(_ body: [UInt8]) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            let type = object["errorType"] as? String
            let message = object["errorMessage"] as? String
            if let message { return type.map { "\($0): \(message)" } ?? message }
        }
        return String(decoding: body, as: UTF8.self)
    }

    static func milliseconds(_ d: Duration) -> String {
        String(format: "%.1f", d.seconds * 1000)
    }
}

/// Forwards a child's output line by line to the runner's log, prefixed with the function name.
enum OutputForwarder {
    static func forward(_ handle: FileHandle, prefix: String, stream: String, logger: Logger) {
        let buffer = Mutex([UInt8]())
        var logger = logger
        logger[metadataKey: "stream"] = "\(stream)"
        let log = logger
        handle.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                let rest = buffer.withLock { b -> [UInt8] in
                    defer { b = [] }
                    return b
                }
                if !rest.isEmpty { log.info("\(prefix) | \(String(decoding: rest, as: UTF8.self))") }
                return
            }
            let lines = buffer.withLock { b -> [String] in
                b.append(contentsOf: data)
                var lines: [String] = []
                while let newline = b.firstIndex(of: 10) {
                    lines.append(String(decoding: b[..<newline], as: UTF8.self))
                    b.removeSubrange(...newline)
                }
                return lines
            }
            for line in lines { log.info("\(prefix) | \(line)") }
        }
    }
}
