import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The shared, lock-protected life of one ``ChildProcess``: starting, running, exiting, finished.
///
/// Signals are sent only while the phase is `running`. In that phase the supervising task is still inside
/// swift-subprocess's `run` body, which returns only once the process has exited; swift-subprocess reaps the
/// process after that. So the pid (and the process group it leads) cannot have been reused when a signal is
/// sent, even on a machine with a small `pid_max`.
final class ChildProcessState: Sendable {
    typealias Outcome = Result<ChildProcess.Termination, ChildProcessError>

    private enum Phase {
        case starting
        case running(Int32)
        case exiting(Int32)
        case finished(Outcome, pid: Int32?)
    }

    private struct State {
        var phase = Phase.starting
        var pendingSignals: [Int32] = []
        var spawnWaiters: [CheckedContinuation<Result<Int32, ChildProcessError>, Never>] = []
        var exitWaiters: [Int: CheckedContinuation<Outcome?, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    // MARK: Reading

    var pid: Int32? {
        state.withLock { state in
            switch state.phase {
            case .starting: nil
            case .running(let pid), .exiting(let pid): pid
            case .finished(_, let pid): pid
            }
        }
    }

    var outcome: Outcome? {
        state.withLock { state in
            if case .finished(let outcome, _) = state.phase { return outcome }
            return nil
        }
    }

    /// True once the process has exited, including before it was reaped (a zombie), or could not be started.
    var hasExited: Bool {
        state.withLock { state in
            switch state.phase {
            case .starting: false
            case .running(let pid): Self.hasExited(pid)
            case .exiting, .finished: true
            }
        }
    }

    /// Whether `pid`, a child of this process that nobody has reaped yet, has exited: `waitid` with `WNOWAIT`
    /// looks without reaping, so swift-subprocess still reaps it.
    static func hasExited(_ pid: Int32) -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return true }
        return info._sifields._sigchld.si_pid != 0
    }

    // MARK: Signals

    /// Sends `signal` to the child's process group (the child and anything it started); before the spawn has
    /// completed it is sent right after it, and once the child has exited it is dropped.
    func send(_ signal: Int32) {
        state.withLock { state in
            switch state.phase {
            case .starting: state.pendingSignals.append(signal)
            case .running(let pid): Self.deliver(signal, to: pid)
            case .exiting, .finished: break
            }
        }
    }

    private static func deliver(_ signal: Int32, to pid: Int32) {
        if kill(-pid, signal) != 0 { kill(pid, signal) }
    }

    // MARK: Transitions (from the supervising task)

    func spawned(pid: Int32) {
        let waiters = state.withLock { state in
            state.phase = .running(pid)
            for signal in state.pendingSignals { Self.deliver(signal, to: pid) }
            state.pendingSignals = []
            defer { state.spawnWaiters = [] }
            return state.spawnWaiters
        }
        for waiter in waiters { waiter.resume(returning: .success(pid)) }
    }

    /// The process has exited (it is not reaped yet): no more signals.
    func exiting() {
        state.withLock { state in
            if case .running(let pid) = state.phase { state.phase = .exiting(pid) }
        }
    }

    func finish(_ outcome: Outcome) {
        let (spawnWaiters, exitWaiters) = state.withLock { state in
            let pid: Int32? =
                switch state.phase {
                case .starting: nil
                case .running(let pid), .exiting(let pid): pid
                case .finished(_, let pid): pid
                }
            state.phase = .finished(outcome, pid: pid)
            defer {
                state.spawnWaiters = []
                state.exitWaiters = [:]
            }
            return (state.spawnWaiters, Array(state.exitWaiters.values))
        }
        let spawn: Result<Int32, ChildProcessError> =
            switch outcome {
            case .success: .failure(ChildProcessError(.spawn, "the process exited before its spawn was reported"))
            case .failure(let error): .failure(error)
            }
        for waiter in spawnWaiters { waiter.resume(returning: spawn) }
        for waiter in exitWaiters { waiter.resume(returning: outcome) }
    }

    // MARK: Waiting

    func waitForSpawn() async -> Result<Int32, ChildProcessError> {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Result<Int32, ChildProcessError>? in
                switch state.phase {
                case .starting:
                    state.spawnWaiters.append(continuation)
                    return nil
                case .running(let pid), .exiting(let pid), .finished(.success, pid: .some(let pid)):
                    return .success(pid)
                case .finished(.failure(let error), _):
                    return .failure(error)
                case .finished(.success, pid: .none):
                    return .failure(ChildProcessError(.spawn, "the process was never spawned"))
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Waits for the outcome, cancelled or not.
    func waitForOutcome() async -> Outcome {
        let id = registerWaiter()
        let outcome = await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Outcome? in
                if case .finished(let outcome, _) = state.phase { return outcome }
                state.exitWaiters[id] = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        // Only a cancelled waiter is resumed with nil, and this one is never cancelled.
        return outcome!
    }

    private func registerWaiter() -> Int {
        state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
    }

    /// Waits for the outcome; nil when the waiting task is cancelled first.
    func waitForOutcomeUnlessCancelled() async -> Outcome? {
        let id = registerWaiter()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Outcome?? in
                    if case .finished(let outcome, _) = state.phase { return .some(outcome) }
                    // Cancelled before this waiter was registered: the cancellation handler found nothing to resume.
                    if Task.isCancelled { return .some(nil) }
                    state.exitWaiters[id] = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.exitWaiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }
}
