import ChildProcesses
import Logging
import Synchronization

/// Keeps one child process running, as a supervisor would: when the child exits without ``stop(grace:)`` having
/// been called, the exit is logged at WARNING with how it ended, counted in
/// `evcsm_child_restarts_total{child=<name>}`, and the child is started again through `launch` after a pause
/// (see ``Backoff``). A restart that fails is logged at ERROR and tried again after the next pause.
final class SupervisedChild: Sendable {
    /// Pauses before a restart: `initial`, doubling up to `maximum`; back to `initial` once a child has run for
    /// `stableAfter`.
    struct Backoff: Sendable {
        var initial: Duration = .milliseconds(100)
        var maximum: Duration = .seconds(2)
        var stableAfter: Duration = .seconds(30)
    }

    /// Starts one child and returns once it is ready to serve; throws when it could not be started (then no
    /// child of it is left running).
    typealias Launch = @Sendable () async throws(LocalRunnerError) -> ChildProcess

    private struct State {
        var current: ChildProcess
        var stopping = false
        var supervisor: Task<Void, Never>?
    }

    /// The name in logs and in the metric's `child` label (`data-api`, `mosquitto`).
    let name: String
    let launch: Launch
    let backoff: Backoff
    let metrics: RunnerMetrics?
    let logger: Logger
    /// Called with each restarted child once it is ready.
    let didRestart: @Sendable (ChildProcess) -> Void
    /// Called when a child has exited, before any restart (also at ``stop(grace:)``).
    let didExit: @Sendable () -> Void
    private let state: Mutex<State>

    /// Starts supervising `first`, a child that `launch` started and that is ready.
    init(
        name: String, running first: ChildProcess, backoff: Backoff = Backoff(), metrics: RunnerMetrics?,
        logger: Logger, didRestart: @escaping @Sendable (ChildProcess) -> Void = { _ in },
        didExit: @escaping @Sendable () -> Void = {}, launch: @escaping Launch
    ) {
        self.name = name
        self.launch = launch
        self.backoff = backoff
        self.metrics = metrics
        self.logger = logger
        self.didRestart = didRestart
        self.didExit = didExit
        state = Mutex(State(current: first))
        // A zero series from the start, so /metrics shows the child before its first restart.
        _ = metrics?.counter(.childRestarts, [("child", name)])
        // Detached, like ChildProcess's own supervision: it must not depend on an executor the caller prefers.
        let task = Task.detached { [self] in await supervise(first) }
        state.withLock { $0.supervisor = task }
    }

    /// The child started last (it may have exited since).
    var current: ChildProcess { state.withLock { $0.current } }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    /// Stops supervising, then stops the current child: SIGTERM, SIGKILL after `grace`.
    func stop(grace: Duration) async {
        let (child, supervisor) = state.withLock { s in
            s.stopping = true
            return (s.current, s.supervisor)
        }
        // Cuts a pause before a restart short; a restart under way ends its child itself (see `adopt`).
        supervisor?.cancel()
        await child.terminate(grace: grace)
        await supervisor?.value
    }

    private func supervise(_ first: ChildProcess) async {
        var running: ChildProcess? = first
        var delay = backoff.initial
        while true {
            if let child = running {
                let started = ContinuousClock.now
                let ended = await Self.describeExit(of: child)
                didExit()
                if isStopping { return }
                if ContinuousClock.now - started >= backoff.stableAfter { delay = backoff.initial }
                logger.warning(
                    "\(name) (pid \(child.pid.map(String.init) ?? "?")) \(ended) unexpectedly; restarting in \(delay)")
            }
            try? await Task.sleep(for: delay)
            if isStopping { return }
            metrics?.recordChildRestart(child: name)
            let next = min(delay * 2, backoff.maximum)
            do {
                let child = try await launch()
                guard adopt(child) else {
                    await child.terminate(grace: .seconds(5))
                    return
                }
                logger.notice("\(name) restarted (pid \(child.pid.map(String.init) ?? "?"))")
                didRestart(child)
                running = child
            } catch {
                if isStopping { return }
                running = nil
                logger.error("cannot restart \(name): \(error.message); trying again in \(next)")
            }
            delay = next
        }
    }

    /// Makes `child` the current one, unless a stop came while it was starting.
    private func adopt(_ child: ChildProcess) -> Bool {
        state.withLock { s in
            guard !s.stopping else { return false }
            s.current = child
            return true
        }
    }

    static func describeExit(of child: ChildProcess) async -> String {
        do {
            return "\(try await child.waitForExit())"
        } catch {
            return "was lost (\(error.message))"
        }
    }
}
