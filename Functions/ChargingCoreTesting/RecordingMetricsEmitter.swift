import FunctionRuntime
import Synchronization

/// A ``MetricsEmitter`` that keeps every emitted value in memory, for tests.
public final class RecordingMetricsEmitter: MetricsEmitter {
    private let recorded = Mutex<[[MetricValue]]>([])

    public init() {}

    public func emit(_ values: [MetricValue]) {
        guard !values.isEmpty else { return }
        recorded.withLock { $0.append(values) }
    }

    /// Every ``emit(_:)`` call so far, in order.
    public var emissions: [[MetricValue]] { recorded.withLock { $0 } }

    /// The sum of the values emitted under `name`.
    public func total(_ name: String) -> Double {
        emissions.joined().filter { $0.name == name }.map(\.value).reduce(0, +)
    }
}
