import ChildProcesses
import Foundation
import Logging

/// One warm Lambda worker: the function's real binary, talking to a Runtime API server of its own.
///
/// The worker serves one invocation at a time. A timeout kills the process; an exit during an
/// invocation is a crash (or an init failure when it never asked for work). The process is a ``ChildProcess``:
/// default signal mask, its own process group, killed with the runner.
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

    var child: ChildProcess?
    var server: RuntimeAPIServer.Running?
    var spawnedAt = ContinuousClock.now
    var ready = false
    var exited = false
    /// True when the last invocation failed because the worker died before handing it to the function
    /// (it was idle and nobody had noticed yet): the function never saw it, so it is safe to run it elsewhere.
    var lostBeforeDelivery = false
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
    /// Also false as soon as the process is known to be gone, before its exit has been handled here (a zombie,
    /// not yet reaped, counts as gone).
    var isUsable: Bool {
        guard !exited, !doomed else { return false }
        guard let child else { return true }
        return !child.hasExited
    }

    /// The process id, once started.
    var pid: Int32? { child?.pid }

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
        spawnedAt = .now
        let child: ChildProcess
        do {
            child = try ChildProcess.start(
                binary, environment: env, inheritEnvironment: false,
                workingDirectory: URL(fileURLWithPath: binary).deletingLastPathComponent().path,
                output: .log(logger.stream("stdout"), prefix: function.logicalId),
                error: .log(logger.stream("stderr"), prefix: function.logicalId))
        } catch {
            server.stop()
            throw LocalRunnerError(.functionBinary, "cannot start \(binary): \(error.message)", underlying: error)
        }
        self.child = child
        let pid: Int32
        do {
            pid = try await child.spawned()
        } catch {
            spawnFailed()
            throw LocalRunnerError(.functionBinary, "cannot start \(binary): \(error.message)", underlying: error)
        }
        Task { [weak self] in
            let termination = try? await child.waitForExit()
            await self?.processExited(reason: termination?.description ?? "was lost")
        }
        logger.debug("worker started", metadata: ["pid": "\(pid)"])
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
}
