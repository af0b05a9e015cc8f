import CoreMetrics
import Metrics
import Prometheus

/// What the runner counts and times, recorded through swift-metrics into a Prometheus registry of its own and
/// served at `/metrics`. Every runner (and every test) has its own registry and factory, so nothing depends on
/// the process-wide `MetricsSystem.bootstrap`.
public final class RunnerMetrics: Sendable {
    /// The `route` label of requests that matched no route: one series, whatever the path was.
    static let unmatchedRoute = "unmatched"

    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    /// swift-metrics handlers backed by ``registry``, with the runner's help texts and buckets.
    let factory: RunnerMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = RunnerMetricsFactory(registry: registry)
    }

    /// Zero series for the label values the template already names (routes, functions, IoT rule filters,
    /// unmatched requests), so `/metrics` shows them before the first event. Only the MQTT topics published
    /// to are not known in advance.
    func registerKnownSeries(template: TemplateModel) {
        _ = counter(.httpRequests, [("route", Self.unmatchedRoute), ("status", "404")])
        for (_, route) in template.routes { _ = timer(.httpRequestDuration, [("route", route.routeKey)]) }
        for function in template.functions {
            let label = [("function", function.logicalId)]
            _ = counter(.invocations, label + [("outcome", InvocationOutcome.success([]).label)])
            _ = counter(.invocationErrors, label)
            _ = timer(.invocationDuration, label)
            _ = timer(.coldStartDuration, label)
            _ = counter(.coldStarts, label)
            gauge(.workers, label).record(0)
            if !function.topicRules.isEmpty {
                _ = counter(.iotRetries, label)
                _ = counter(.iotDeadLetters, label)
            }
            for filter in function.topics { _ = counter(.mqttMessagesIn, [("topic", filter)]) }
        }
    }

    func recordRequest(route: String, status: Int, duration: Duration) {
        counter(.httpRequests, [("route", route), ("status", String(status))]).increment()
        timer(.httpRequestDuration, [("route", route)]).record(duration: duration)
    }

    /// A request that matched no route (the router's 404).
    func recordUnmatchedRequest() {
        counter(.httpRequests, [("route", Self.unmatchedRoute), ("status", "404")]).increment()
    }

    func recordInvocation(function: String, outcome: String, duration: Duration) {
        counter(.invocations, [("function", function), ("outcome", outcome)]).increment()
        if outcome != "success" { counter(.invocationErrors, [("function", function)]).increment() }
        timer(.invocationDuration, [("function", function)]).record(duration: duration)
    }

    func recordColdStart(function: String, duration: Duration) {
        counter(.coldStarts, [("function", function)]).increment()
        timer(.coldStartDuration, [("function", function)]).record(duration: duration)
    }

    func setWorkers(function: String, count: Int) { gauge(.workers, [("function", function)]).record(count) }
    func recordMQTTIn(topic: String) { counter(.mqttMessagesIn, [("topic", topic)]).increment() }
    func recordMQTTOut(topic: String) { counter(.mqttMessagesOut, [("topic", topic)]).increment() }
    func recordRetry(function: String) { counter(.iotRetries, [("function", function)]).increment() }
    func recordDeadLetter(function: String) { counter(.iotDeadLetters, [("function", function)]).increment() }
    /// A supervised child process (`data-api`, `mosquitto`) that exited unexpectedly is being started again.
    func recordChildRestart(child: String) { counter(.childRestarts, [("child", child)]).increment() }

    /// A value a function reported as a CloudWatch Embedded Metric Format line (``EmbeddedMetrics``), added to
    /// `evcsm_function_metric_total{function,namespace,name}` (whole values as integers).
    func recordFunctionMetric(function: String, namespace: String, name: String, value: Double) {
        let labels = [("function", function), ("namespace", namespace), ("name", name)]
        guard value > 0 else { return }
        if value == value.rounded(), value < 9e18 {
            counter(.functionMetrics, labels).increment(by: Int64(value))
        } else {
            CoreMetrics.FloatingPointCounter(
                label: RunnerMetric.functionMetrics.rawValue, dimensions: labels, factory: factory
            )
            .increment(by: value)
        }
    }

    /// Everything in the Prometheus text exposition format (version 0.0.4).
    public func prometheusText() -> String { registry.emitToString() }

    func counter(_ metric: RunnerMetric, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: metric.rawValue, dimensions: dimensions, factory: factory)
    }

    func timer(_ metric: RunnerMetric, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: metric.rawValue, dimensions: dimensions, factory: factory)
    }

    func gauge(_ metric: RunnerMetric, _ dimensions: [(String, String)]) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: metric.rawValue, dimensions: dimensions, factory: factory)
    }
}

/// The runner's metric families: Prometheus name and help text.
enum RunnerMetric: String, CaseIterable, Sendable {
    case httpRequests = "evcsm_http_requests_total"
    case httpRequestDuration = "evcsm_http_request_duration_seconds"
    case invocations = "evcsm_invocations_total"
    case invocationErrors = "evcsm_invocation_errors_total"
    case invocationDuration = "evcsm_invocation_duration_seconds"
    case coldStarts = "evcsm_cold_starts_total"
    case coldStartDuration = "evcsm_cold_start_duration_seconds"
    case workers = "evcsm_workers"
    case mqttMessagesIn = "evcsm_mqtt_messages_in_total"
    case mqttMessagesOut = "evcsm_mqtt_messages_out_total"
    case iotRetries = "evcsm_iot_retries_total"
    case iotDeadLetters = "evcsm_iot_dead_letters_total"
    case childRestarts = "evcsm_child_restarts_total"
    case functionMetrics = "evcsm_function_metric_total"
    case authorizerDenied = "evcsm_authorizer_denied_total"

    /// The `# HELP` text.
    var help: String {
        switch self {
        case .httpRequests: "API Gateway requests by route and status."
        case .httpRequestDuration: "API Gateway request durations."
        case .invocations: "Function invocations by outcome."
        case .invocationErrors: "Invocations that did not succeed."
        case .invocationDuration: "Invocation durations."
        case .coldStarts: "Worker cold starts (spawn to first /next)."
        case .coldStartDuration: "Cold start durations."
        case .workers: "Live worker processes."
        case .mqttMessagesIn: "MQTT messages received by the IoT bridge."
        case .mqttMessagesOut: "MQTT messages published (IoT Data Plane, simulator)."
        case .iotRetries: "IoT rule invocation retries."
        case .iotDeadLetters: "IoT messages written to the dead-letter file."
        case .childRestarts: "Restarts of supervised child processes (Data API, broker) after they exited."
        case .functionMetrics: "Values functions reported as CloudWatch Embedded Metric Format lines, summed."
        case .authorizerDenied: "Requests the JWT authorizer refused (401), by reason."
        }
    }
}

/// A swift-metrics factory over one ``PrometheusCollectorRegistry`` that gives each family its help text
/// (swift-prometheus' own factory registers every family without one) and the runner's duration buckets.
struct RunnerMetricsFactory: MetricsFactory {
    /// Upper bounds of every duration histogram (5 ms to 30 s).
    static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30),
    ]
    /// Buckets of value histograms (swift-metrics recorders with `aggregate`); the runner records none.
    static let valueBuckets: [Double] = [1, 10, 100, 1000, 10000]

    let registry: PrometheusCollectorRegistry

    /// The family's name with its help text (none for a label that is not a ``RunnerMetric``).
    func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: RunnerMetric(rawValue: label)?.help ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(
            descriptor: descriptor(label), labels: dimensions, buckets: Self.valueBuckets)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(
            descriptor: descriptor(label), labels: dimensions, buckets: Self.durationBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
