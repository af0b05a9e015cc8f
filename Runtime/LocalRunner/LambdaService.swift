import CoreMetrics
import Foundation
import Logging
import Synchronization

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
