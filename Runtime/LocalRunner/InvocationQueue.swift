import Foundation
import Logging
import Synchronization

/// The invocations of one function: a FIFO in front of at most `concurrency` warm workers, started on
/// first use and replaced after a crash.
///
/// Its state lives behind one lock: taking an idle worker and putting it back are a lock each, with no actor hop
/// on the invocation path; only starting a worker suspends.
final class InvocationQueue: Sendable {
    /// Where an invocation waiting for a worker is resumed: a worker, a failure, or nil to look again.
    typealias Waiter = CheckedContinuation<Result<WorkerProcess, LocalRunnerError>?, Never>

    /// Everything that changes, guarded by ``state``.
    struct State {
        var workers: [ObjectIdentifier: WorkerProcess] = [:]
        var idle: [WorkerProcess] = []
        var waiting: [Waiter] = []
        var inFlight = 0
        var accepting = true
        var workerCount = 0
        /// Spawns waiting for the runner environment, not yet in `workers`: they hold a concurrency slot too.
        var spawning = 0
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    let function: FunctionDefinition
    let binary: String
    let concurrency: Int
    let environment: AsyncValue<[String: String]>
    let metrics: RunnerMetrics
    let logger: Logger
    /// What a successful invocation records, looked up in the registry once.
    let successSeries: InvocationSeries
    let state = Mutex(State())

    init(
        function: FunctionDefinition, binary: String, concurrency: Int, environment: AsyncValue<[String: String]>,
        metrics: RunnerMetrics, logger: Logger
    ) {
        self.function = function
        self.binary = binary
        self.concurrency = max(1, concurrency)
        self.environment = environment
        self.metrics = metrics
        successSeries = InvocationSeries(metrics: metrics, function: function.logicalId)
        var logger = logger
        logger[metadataKey: "function"] = "\(function.logicalId)"
        self.logger = logger
    }

    /// The workers started and not yet gone.
    var workers: [ObjectIdentifier: WorkerProcess] { state.withLock { $0.workers } }
    /// The workers waiting for an invocation.
    var idle: [WorkerProcess] { state.withLock { $0.idle } }
    /// The invocations waiting for a worker.
    var waiting: [Waiter] { state.withLock { $0.waiting } }

    /// Runs one invocation, waiting for a free worker when all are busy.
    func invoke(payload: [UInt8], requestID: String) async -> InvocationOutcome {
        let accepted = state.withLock { s in
            guard s.accepting else { return false }
            s.inFlight += 1
            return true
        }
        guard accepted else { return .unavailable("the runner is shutting down") }
        defer { finished() }
        let started = ContinuousClock.now
        // A warm worker can die while idle (killed, OOM) before the runner has seen it exit. An invocation it
        // never handed to the function is run once more on another worker, as Lambda would route it to a
        // fresh instance; one that the function did receive is never repeated.
        for attempt in 1...2 {
            let worker: WorkerProcess
            switch await acquire() {
            case .success(let w): worker = w
            case .failure(let error):
                metrics.recordInvocation(function: function.logicalId, outcome: "unavailable", duration: .zero)
                return .unavailable(error.message)
            }
            let result = await worker.invoke(payload: payload, requestID: requestID)
            let outcome = result.outcome
            await release(worker, usable: result.usable)
            if result.lostBeforeDelivery, attempt == 1 {
                logger.info("worker \(worker.number) was gone before the invocation reached it; retrying on another")
                continue
            }
            let duration = ContinuousClock.now - started
            if case .success = outcome {
                successSeries.record(duration: duration)
            } else {
                metrics.recordInvocation(function: function.logicalId, outcome: outcome.label, duration: duration)
            }
            return outcome
        }
        return .unavailable("no worker could take the invocation")
    }

    /// One invocation is over: the last one wakes a waiting ``shutdown()``.
    func finished() {
        let drained = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.inFlight -= 1
            guard s.inFlight == 0 else { return [] }
            defer { s.drained = [] }
            return s.drained
        }
        for waiter in drained { waiter.resume() }
    }

    /// Takes a concurrency slot for a new worker and returns its number (the caller then calls ``spawn(number:)``).
    func reserve(_ s: inout State) -> Int {
        s.workerCount += 1
        s.spawning += 1
        return s.workerCount
    }

    func acquire() async -> Result<WorkerProcess, LocalRunnerError> {
        enum Step {
            case ready(WorkerProcess)
            case spawn(Int)
            case wait
        }
        while true {
            let step = state.withLock { s -> Step in
                if let worker = s.idle.popLast() { return .ready(worker) }
                if s.workers.count + s.spawning < concurrency { return .spawn(reserve(&s)) }
                return .wait
            }
            switch step {
            case .ready(let worker): return .success(worker)
            case .spawn(let number): return await spawn(number: number)
            case .wait: break
            }
            let resumed = await withCheckedContinuation { (waiter: Waiter) in
                let parked = state.withLock { s -> Bool? in
                    guard s.accepting else { return nil }
                    guard s.idle.isEmpty, s.workers.count + s.spawning >= concurrency else { return false }
                    s.waiting.append(waiter)
                    return true
                }
                switch parked {
                case nil: waiter.resume(returning: .failure(Self.shuttingDown))
                case false: waiter.resume(returning: nil)
                case true: break
                }
            }
            if let resumed { return resumed }
        }
    }

    static var shuttingDown: LocalRunnerError { LocalRunnerError(.process, "the runner is shutting down") }

    /// Starts worker `number` in a slot taken with ``reserve(_:)``.
    func spawn(number: Int) async -> Result<WorkerProcess, LocalRunnerError> {
        let runnerEnvironment = await environment.value
        var merged = function.environment.filter { $0.value != TemplateLoader.runnerProvidedPlaceholder }
        merged.merge(runnerEnvironment) { _, runner in runner }
        merged["AWS_LAMBDA_FUNCTION_NAME"] = function.logicalId
        merged["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "\(function.memorySize)"
        merged["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
        let worker = WorkerProcess(
            function: function, number: number, binary: binary, environment: merged, logger: logger,
            metrics: metrics, onExit: { [weak self] worker in await self?.workerExited(worker) })
        let added = state.withLock { s -> Bool in
            s.spawning -= 1
            // shutdown() may have begun while waiting: a worker added now would never be stopped.
            guard s.accepting else { return false }
            s.workers[ObjectIdentifier(worker)] = worker
            metrics.setWorkers(function: function.logicalId, count: s.workers.count)
            return true
        }
        guard added else { return .failure(Self.shuttingDown) }
        do {
            try await worker.start()
            return .success(worker)
        } catch {
            state.withLock { s in forget(worker, in: &s) }
            logger.error("\(error.message)")
            return .failure(error)
        }
    }

    /// Puts a worker back after an invocation; `usable` is what the invocation left it as.
    func release(_ worker: WorkerProcess, usable: Bool) async {
        let kept = state.withLock { s -> Bool in
            guard s.workers[ObjectIdentifier(worker)] != nil, usable else {
                forget(worker, in: &s)
                return false
            }
            return true
        }
        if kept { putBack(worker) } else { await serveWaiter() }
    }

    /// Hands a free worker to the first waiting invocation, or keeps it idle.
    func putBack(_ worker: WorkerProcess) {
        let waiter = state.withLock { s -> Waiter? in
            if !s.waiting.isEmpty { return s.waiting.removeFirst() }
            s.idle.append(worker)
            return nil
        }
        waiter?.resume(returning: .success(worker))
    }

    func forget(_ worker: WorkerProcess, in s: inout State) {
        s.workers[ObjectIdentifier(worker)] = nil
        s.idle.removeAll { $0 === worker }
        metrics.setWorkers(function: function.logicalId, count: s.workers.count)
    }

    /// A worker slot became free: start a worker for the first waiter.
    func serveWaiter() async {
        let next = state.withLock { s -> (Waiter, Int)? in
            guard !s.waiting.isEmpty, s.accepting, s.workers.count + s.spawning < concurrency else { return nil }
            return (s.waiting.removeFirst(), reserve(&s))
        }
        guard let (waiter, number) = next else { return }
        waiter.resume(returning: await spawn(number: number))
    }

    func workerExited(_ worker: WorkerProcess) async {
        let wasReady = worker.ready
        let doomed = worker.doomed
        let (known, accepting, anyWaiting) = state.withLock { s in
            let known = s.workers[ObjectIdentifier(worker)] != nil
            forget(worker, in: &s)
            return (known, s.accepting, !s.waiting.isEmpty)
        }
        guard accepting else { return }
        if anyWaiting {
            await serveWaiter()
        } else if known, wasReady, !doomed {
            logger.info("replacing \(function.logicalId) worker \(worker.number)")
            let number = state.withLock { reserve(&$0) }
            if case .success(let replacement) = await spawn(number: number) { putBack(replacement) }
        }
    }

    /// Starts one worker ahead of use (bench cold starts, `--prewarm`).
    func prewarm() async {
        let number = state.withLock { s -> Int? in
            guard s.idle.isEmpty, s.workers.count + s.spawning < concurrency else { return nil }
            return reserve(&s)
        }
        guard let number else { return }
        if case .success(let worker) = await spawn(number: number) { putBack(worker) }
    }

    /// Stops accepting, waits for in-flight invocations, then stops every worker.
    func shutdown() async {
        let waiters = state.withLock { s -> [Waiter] in
            s.accepting = false
            defer { s.waiting = [] }
            return s.waiting
        }
        for waiter in waiters { waiter.resume(returning: .failure(Self.shuttingDown)) }
        await withCheckedContinuation { continuation in
            let idle = state.withLock { s in
                guard s.inFlight > 0 else { return true }
                s.drained.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
        let all = state.withLock { Array($0.workers.values) }
        await withTaskGroup(of: Void.self) { group in
            for worker in all { group.addTask { await worker.stop() } }
        }
        state.withLock { s in
            s.workers = [:]
            s.idle = []
        }
        metrics.setWorkers(function: function.logicalId, count: 0)
    }
}
