import ChildProcesses
import Essentials
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
        /// When the invocation times out (or, while the worker initialises, when it is declared stuck).
        var deadline: ContinuousClock.Instant?
        var initialising = false
        var pickedUp = false
    }

    /// What one invocation on this worker gave, with what the queue needs to know about the worker after it.
    struct Result: Sendable {
        var outcome: InvocationOutcome
        /// The worker died before handing the invocation to the function (see ``lostBeforeDelivery``).
        var lostBeforeDelivery: Bool
        /// Whether the worker can take another invocation (see ``isUsable``).
        var usable: Bool
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
    /// One task per worker watches the current invocation's deadline (none while nothing is in flight), instead
    /// of a timer task per invocation.
    var watchdog: Task<Void, Never>?
    /// When ``watchdog`` wakes up next.
    var watchdogWake: ContinuousClock.Instant?
    /// `Lambda-Runtime-Invoked-Function-Arn`, the same for every invocation.
    let functionARN: String

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
        functionARN = "arn:aws:lambda:us-east-1:000000000000:function:\(function.logicalId)"
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
                output: EmbeddedMetrics.workerOutput(
                    logger: logger.stream("stdout"), function: function.logicalId, metrics: metrics),
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
    func invoke(payload: [UInt8], requestID: String) async -> Result {
        guard isUsable else {
            lostBeforeDelivery = true
            return Result(outcome: .crashed("worker is gone"), lostBeforeDelivery: true, usable: false)
        }
        lostBeforeDelivery = false
        let deadline = Timestamp.nowMilliseconds() + Int64(function.timeout) * 1000
        let invocation = PendingInvocation(
            requestID: requestID, payload: payload, deadlineMilliseconds: deadline, functionARN: functionARN)
        let outcome = await withCheckedContinuation { continuation in
            current = Current(requestID: requestID, continuation: continuation)
            if let waiter = nextWaiter {
                nextWaiter = nil
                pickUp(invocation)
                waiter.resume(returning: invocation)
            } else {
                queued = invocation
                // Not waiting in /next: still initialising, or a warm worker that has not come back for work.
                // Either way the caller must not wait forever (the deadline restarts when it picks the work up).
                if ready {
                    armTimer(.seconds(function.timeout), requestID: requestID, initialising: false)
                } else {
                    armTimer(Self.initTimeout, requestID: requestID, initialising: true)
                }
            }
        }
        // A worker that just answered is alive unless its exit was seen; one that died idle is caught by the
        // check at the start of the next invocation.
        return Result(outcome: outcome, lostBeforeDelivery: lostBeforeDelivery, usable: !exited && !doomed)
    }

    func pickUp(_ invocation: PendingInvocation) {
        guard current?.requestID == invocation.requestID else { return }
        current?.pickedUp = true
        armTimer(.seconds(function.timeout), requestID: invocation.requestID, initialising: false)
    }

    /// Sets the current invocation's deadline; the watchdog is started, or woken earlier, only when needed.
    func armTimer(_ duration: Duration, requestID: String, initialising: Bool) {
        guard current?.requestID == requestID else { return }
        let deadline = ContinuousClock.now + duration
        current?.deadline = deadline
        current?.initialising = initialising
        if watchdog != nil, let wake = watchdogWake, wake <= deadline { return }
        watchdog?.cancel()
        watchdogWake = deadline
        watchdog = Task { [weak self] in
            var wake = deadline
            while true {
                try? await Task.sleep(until: wake, clock: .continuous)
                guard !Task.isCancelled, let self, let next = await self.watchdogWoke() else { return }
                wake = next
            }
        }
    }

    /// The watchdog woke up: fires a passed deadline, or says when to wake next (nil: stop watching).
    func watchdogWoke() -> ContinuousClock.Instant? {
        guard let c = current, let deadline = c.deadline, !exited else {
            watchdog = nil
            watchdogWake = nil
            return nil
        }
        guard deadline <= .now else {
            watchdogWake = deadline
            return deadline
        }
        watchdog = nil
        watchdogWake = nil
        timerFired(requestID: c.requestID, initialising: c.initialising)
        return nil
    }

    func stopWatchdog() {
        watchdog?.cancel()
        watchdog = nil
        watchdogWake = nil
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
