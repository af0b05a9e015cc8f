import ChildProcesses
import Essentials
import Foundation
import Logging
import Synchronization

/// One warm Lambda worker: the function's real binary, talking to a Runtime API server of its own.
///
/// The worker serves one invocation at a time. A timeout kills the process; an exit during an
/// invocation is a crash (or an init failure when it never asked for work). The process is a ``ChildProcess``:
/// default signal mask, its own process group, killed with the runner.
///
/// Its state lives behind one lock, so that an invocation is handed to a parked `/next` and its `/response`
/// completes the caller directly from the Runtime API's event loop, without an actor hop.
final class WorkerProcess: RuntimeAPIEndpoint, Sendable {
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
        /// The worker died before handing the invocation to the function (see ``State/lostBeforeDelivery``).
        var lostBeforeDelivery: Bool
        /// Whether the worker can take another invocation (see ``State/isUsable``).
        var usable: Bool
    }

    /// Everything that changes, guarded by ``state``.
    struct State {
        var child: ChildProcess?
        var server: RuntimeAPIServer.Running?
        var spawnedAt = ContinuousClock.now
        var ready = false
        var exited = false
        /// True when the last invocation failed because the worker died before handing it to the function (it
        /// was idle and nobody had noticed yet): the function never saw it, so it is safe to run it elsewhere.
        var lostBeforeDelivery = false
        var doomed = false
        var initError: String?
        /// The parked `/next` request, answered with the next invocation (nil: the worker stops).
        var nextWaiter: (@Sendable (PendingInvocation?) -> Void)?
        var queued: PendingInvocation?
        var current: Current?
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
        /// One task per worker watches the current invocation's deadline (none while nothing is in flight),
        /// instead of a timer per invocation.
        var watchdog: Task<Void, Never>?
        /// When ``watchdog`` wakes up next.
        var watchdogWake: ContinuousClock.Instant?

        /// Whether the worker can take another invocation.
        /// Also false as soon as the process is known to be gone, before its exit has been handled here (a
        /// zombie, not yet reaped, counts as gone).
        var isUsable: Bool {
            guard !exited, !doomed else { return false }
            guard let child else { return true }
            return !child.hasExited
        }
    }

    /// Time a new worker gets to ask for its first invocation.
    static let initTimeout: Duration = .seconds(10)

    let function: FunctionDefinition
    let number: Int
    let binary: String
    let environment: [String: String]
    let logger: Logger
    let metrics: RunnerMetrics
    let onExit: @Sendable (WorkerProcess) async -> Void
    /// `Lambda-Runtime-Invoked-Function-Arn`, the same for every invocation.
    let functionARN: String
    let state = Mutex(State())

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

    /// Whether the worker can take another invocation (see ``State/isUsable``).
    var isUsable: Bool { state.withLock { $0.isUsable } }
    /// The process id, once started.
    var pid: Int32? { state.withLock { $0.child?.pid } }
    /// Whether the worker has asked for work at least once.
    var ready: Bool { state.withLock { $0.ready } }
    /// Whether the worker is being stopped or was killed.
    var doomed: Bool { state.withLock { $0.doomed } }

    /// Runs one invocation on this worker.
    func invoke(payload: [UInt8], requestID: String) async -> Result {
        let deadline = Timestamp.nowMilliseconds() + Int64(function.timeout) * 1000
        let invocation = PendingInvocation(
            requestID: requestID, payload: payload, deadlineMilliseconds: deadline, functionARN: functionARN)
        var gone = false
        let outcome = await withCheckedContinuation { continuation in
            let waiter = state.withLock { s -> (@Sendable (PendingInvocation?) -> Void)? in
                guard s.isUsable else {
                    s.lostBeforeDelivery = true
                    gone = true
                    return nil
                }
                s.lostBeforeDelivery = false
                s.current = Current(requestID: requestID, continuation: continuation)
                if let waiter = s.nextWaiter {
                    s.nextWaiter = nil
                    pickUp(invocation, in: &s)
                    return waiter
                }
                s.queued = invocation
                // Not waiting in /next: still initialising, or a warm worker that has not come back for work.
                // Either way the caller must not wait forever (the deadline restarts when it picks the work up).
                if s.ready {
                    armTimer(.seconds(function.timeout), initialising: false, in: &s)
                } else {
                    armTimer(Self.initTimeout, initialising: true, in: &s)
                }
                return nil
            }
            if gone {
                continuation.resume(returning: .crashed("worker is gone"))
            } else {
                waiter?(invocation)
            }
        }
        if gone { return Result(outcome: outcome, lostBeforeDelivery: true, usable: false) }
        // A worker that just answered is alive unless its exit was seen; one that died idle is caught by the
        // check at the start of the next invocation.
        return state.withLock { s in
            Result(outcome: outcome, lostBeforeDelivery: s.lostBeforeDelivery, usable: !s.exited && !s.doomed)
        }
    }

    /// The worker took `invocation`: its timeout starts now.
    func pickUp(_ invocation: PendingInvocation, in s: inout State) {
        guard s.current?.requestID == invocation.requestID else { return }
        s.current?.pickedUp = true
        armTimer(.seconds(function.timeout), initialising: false, in: &s)
    }

    /// Sets the current invocation's deadline; the watchdog is started, or woken earlier, only when needed.
    func armTimer(_ duration: Duration, initialising: Bool, in s: inout State) {
        guard s.current != nil else { return }
        let deadline = ContinuousClock.now + duration
        s.current?.deadline = deadline
        s.current?.initialising = initialising
        if s.watchdog != nil, let wake = s.watchdogWake, wake <= deadline { return }
        s.watchdog?.cancel()
        s.watchdogWake = deadline
        s.watchdog = Task { [weak self] in
            var wake = deadline
            while true {
                try? await Task.sleep(until: wake, clock: .continuous)
                guard !Task.isCancelled, let self, let next = self.watchdogWoke() else { return }
                wake = next
            }
        }
    }

    /// The watchdog woke up: fires a passed deadline, or says when to wake next (nil: stop watching).
    func watchdogWoke() -> ContinuousClock.Instant? {
        enum Step {
            case sleep(ContinuousClock.Instant?)
            case fire(Current)
        }
        let step = state.withLock { s -> Step in
            guard let c = s.current, let deadline = c.deadline, !s.exited else {
                s.watchdog = nil
                s.watchdogWake = nil
                return .sleep(nil)
            }
            guard deadline <= .now else {
                s.watchdogWake = deadline
                return .sleep(deadline)
            }
            s.watchdog = nil
            s.watchdogWake = nil
            s.current = nil
            s.doomed = true
            s.queued = nil
            return .fire(c)
        }
        switch step {
        case .sleep(let next): return next
        case .fire(let c):
            timerFired(c)
            return nil
        }
    }

    /// `c` ran past its deadline (already taken out of the state): kills the worker and fails the invocation.
    func timerFired(_ c: Current) {
        let outcome: InvocationOutcome
        if c.initialising {
            logger.error("\(function.logicalId) did not ask for work within \(Self.initTimeout); killing it")
            outcome = .initFailed("no /next within \(Self.initTimeout)")
        } else {
            logger.warning(
                "\(function.logicalId) timed out after \(function.timeout) s; killing worker",
                metadata: ["requestID": "\(c.requestID)"])
            outcome = .timeout(seconds: function.timeout)
        }
        kill(SIGKILL)
        c.continuation.resume(returning: outcome)
    }
}
