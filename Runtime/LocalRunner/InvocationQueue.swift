import CoreMetrics
import Foundation
import Logging
import Synchronization

/// The invocations of one function: a FIFO in front of at most `concurrency` warm workers, started on
/// first use and replaced after a crash.
actor InvocationQueue {
    let function: FunctionDefinition
    let binary: String
    let concurrency: Int
    let environment: AsyncValue<[String: String]>
    let metrics: RunnerMetrics
    let logger: Logger

    var workers: [ObjectIdentifier: WorkerProcess] = [:]
    var idle: [WorkerProcess] = []
    var waiting: [CheckedContinuation<Result<WorkerProcess, LocalRunnerError>, Never>] = []
    var inFlight = 0
    var accepting = true
    var workerCount = 0
    /// Spawns waiting for the runner environment, not yet in `workers`: they hold a concurrency slot too.
    var spawning = 0
    var drained: [CheckedContinuation<Void, Never>] = []
    /// What a successful invocation records, looked up in the registry once.
    let successSeries: InvocationSeries

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

    /// Runs one invocation, waiting for a free worker when all are busy.
    func invoke(payload: [UInt8], requestID: String) async -> InvocationOutcome {
        guard accepting else { return .unavailable("the runner is shutting down") }
        inFlight += 1
        defer {
            inFlight -= 1
            if inFlight == 0 {
                for waiter in drained { waiter.resume() }
                drained = []
            }
        }
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

    func acquire() async -> Result<WorkerProcess, LocalRunnerError> {
        if let worker = idle.popLast() { return .success(worker) }
        if workers.count + spawning < concurrency { return await spawn() }
        return await withCheckedContinuation { waiting.append($0) }
    }

    func spawn() async -> Result<WorkerProcess, LocalRunnerError> {
        workerCount += 1
        spawning += 1
        let runnerEnvironment = await environment.value
        spawning -= 1
        // shutdown() may have begun while waiting: a worker added now would never be stopped.
        guard accepting else { return .failure(LocalRunnerError(.process, "the runner is shutting down")) }
        var merged = function.environment.filter { $0.value != TemplateLoader.runnerProvidedPlaceholder }
        merged.merge(runnerEnvironment) { _, runner in runner }
        merged["AWS_LAMBDA_FUNCTION_NAME"] = function.logicalId
        merged["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "\(function.memorySize)"
        merged["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
        let worker = WorkerProcess(
            function: function, number: workerCount, binary: binary, environment: merged, logger: logger,
            metrics: metrics, onExit: { [weak self] worker in await self?.workerExited(worker) })
        workers[ObjectIdentifier(worker)] = worker
        metrics.setWorkers(function: function.logicalId, count: workers.count)
        do {
            try await worker.start()
            return .success(worker)
        } catch {
            workers[ObjectIdentifier(worker)] = nil
            metrics.setWorkers(function: function.logicalId, count: workers.count)
            logger.error("\(error.message)")
            return .failure(error)
        }
    }

    /// Puts a worker back after an invocation; `usable` is what the invocation left it as.
    func release(_ worker: WorkerProcess, usable: Bool) async {
        guard workers[ObjectIdentifier(worker)] != nil, usable else {
            forget(worker)
            await serveWaiter()
            return
        }
        if !waiting.isEmpty {
            waiting.removeFirst().resume(returning: .success(worker))
        } else {
            idle.append(worker)
        }
    }

    func forget(_ worker: WorkerProcess) {
        workers[ObjectIdentifier(worker)] = nil
        idle.removeAll { $0 === worker }
        metrics.setWorkers(function: function.logicalId, count: workers.count)
    }

    /// A worker slot became free: start a worker for the first waiter.
    func serveWaiter() async {
        guard !waiting.isEmpty, accepting, workers.count + spawning < concurrency else { return }
        let waiter = waiting.removeFirst()
        waiter.resume(returning: await spawn())
    }

    func workerExited(_ worker: WorkerProcess) async {
        let known = workers[ObjectIdentifier(worker)] != nil
        let wasReady = await worker.ready
        let doomed = await worker.doomed
        forget(worker)
        guard accepting else { return }
        if !waiting.isEmpty {
            await serveWaiter()
        } else if known, wasReady, !doomed {
            logger.info("replacing \(function.logicalId) worker \(worker.number)")
            if case .success(let replacement) = await spawn() { idle.append(replacement) }
        }
    }

    /// Starts one worker ahead of use (bench cold starts, `--prewarm`).
    func prewarm() async {
        guard idle.isEmpty, workers.count + spawning < concurrency else { return }
        if case .success(let worker) = await spawn() { idle.append(worker) }
    }

    /// Stops accepting, waits for in-flight invocations, then stops every worker.
    func shutdown() async {
        accepting = false
        for waiter in waiting {
            waiter.resume(returning: .failure(LocalRunnerError(.process, "the runner is shutting down")))
        }
        waiting = []
        if inFlight > 0 { await withCheckedContinuation { drained.append($0) } }
        let all = Array(workers.values)
        await withTaskGroup(of: Void.self) { group in
            for worker in all { group.addTask { await worker.stop() } }
        }
        workers = [:]
        idle = []
        metrics.setWorkers(function: function.logicalId, count: 0)
    }
}

/// The Lambda service: one ``InvocationQueue`` per template function, binaries from the functions dir.
public final class LambdaService: FunctionInvoker {
    let queues: [String: InvocationQueue]
    /// The environment every worker gets on top of the template's (DATA_API_URL, keys, endpoints).
    let runnerEnvironment: AsyncValue<[String: String]>

    init(
        template: TemplateModel, functionsDirectory: String, concurrency: Int, metrics: RunnerMetrics, logger: Logger
    ) {
        let environment = AsyncValue<[String: String]>()
        runnerEnvironment = environment
        var queues: [String: InvocationQueue] = [:]
        for function in template.functions {
            let binary = URL(fileURLWithPath: functionsDirectory).appendingPathComponent(function.logicalId).path
            queues[function.logicalId] = InvocationQueue(
                function: function, binary: binary, concurrency: concurrency, environment: environment,
                metrics: metrics, logger: logger)
        }
        self.queues = queues
    }

    /// Sets what the workers get from the runner; spawning waits until it is set.
    func setRunnerEnvironment(_ values: [String: String]) { runnerEnvironment.set(values) }

    public func invoke(function: String, payload: [UInt8], requestID: String) async -> InvocationOutcome {
        guard let queue = queues[function] else { return .unavailable("no function \(function) in the template") }
        return await queue.invoke(payload: payload, requestID: requestID)
    }

    /// Starts one worker per function ahead of use.
    public func prewarm() async {
        await withTaskGroup(of: Void.self) { group in
            for queue in queues.values { group.addTask { await queue.prewarm() } }
        }
    }

    /// Finishes in-flight invocations and stops every worker.
    public func shutdown() async {
        await withTaskGroup(of: Void.self) { group in
            for queue in queues.values { group.addTask { await queue.shutdown() } }
        }
    }
}

/// What ``RunnerMetrics/recordInvocation(function:outcome:duration:)`` records for a successful invocation, with
/// the counter and histogram looked up in the registry on first use only.
final class InvocationSeries: Sendable {
    let metrics: RunnerMetrics
    let function: String
    private let handles = Mutex<(count: CoreMetrics.Counter, duration: CoreMetrics.Timer)?>(nil)

    init(metrics: RunnerMetrics, function: String) {
        self.metrics = metrics
        self.function = function
    }

    func record(duration: Duration) {
        let (count, timer) = handles.withLock { handles in
            if let handles { return handles }
            let made = (
                metrics.counter(.invocations, [("function", function), ("outcome", "success")]),
                metrics.timer(.invocationDuration, [("function", function)])
            )
            handles = made
            return made
        }
        count.increment()
        timer.record(duration: duration)
    }
}
