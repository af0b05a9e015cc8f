import Prometheus

/// The WebSocket API's series in the runner's registry: open connections and messages each way.
struct WebSocketMetrics: Sendable {
    /// `evcsm_websocket_connections`: connections open now.
    let connections: Gauge
    /// `evcsm_websocket_messages_total{direction="in"}`: messages received from clients (delivered to `$default`).
    let messagesIn: Counter
    /// `evcsm_websocket_messages_total{direction="out"}`: messages sent to clients (route responses, `@connections`).
    let messagesOut: Counter

    init(registry: PrometheusCollectorRegistry) {
        connections = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "evcsm_websocket_connections", unitName: "", helpText: "Open WebSocket API connections."))
        let messages = MetricNameDescriptor(
            metricName: "evcsm_websocket_messages_total", unitName: "", helpText: "WebSocket API messages by direction."
        )
        messagesIn = registry.makeCounter(descriptor: messages, labels: [("direction", "in")])
        messagesOut = registry.makeCounter(descriptor: messages, labels: [("direction", "out")])
    }
}
