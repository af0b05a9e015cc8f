import Foundation
import Synchronization

/// Counters and histograms the runner exports at `/metrics` in the Prometheus text format.
public final class RunnerMetrics: Sendable {
    struct Histogram {
        static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
        var buckets = [Int](repeating: 0, count: bounds.count)
        var count = 0
        var sum = 0.0

        mutating func observe(_ seconds: Double) {
            for (i, bound) in Self.bounds.enumerated() where seconds <= bound { buckets[i] += 1 }
            count += 1
            sum += seconds
        }
    }

    struct State {
        var requests: [String: Int] = [:]  // "route\u{0}status"
        var requestDurations: [String: Histogram] = [:]
        var invocations: [String: Int] = [:]  // "function\u{0}outcome"
        var invocationDurations: [String: Histogram] = [:]
        var coldStarts: [String: Int] = [:]
        var coldStartDurations: [String: Histogram] = [:]
        var workers: [String: Int] = [:]
        var mqttIn: [String: Int] = [:]
        var mqttOut: [String: Int] = [:]
        var retries: [String: Int] = [:]
        var deadLetters: [String: Int] = [:]
    }

    let state = Mutex(State())

    public init() {}

    func recordRequest(route: String, status: Int, duration: Duration) {
        state.withLock {
            $0.requests["\(route)\u{0}\(status)", default: 0] += 1
            $0.requestDurations[route, default: Histogram()].observe(duration.seconds)
        }
    }

    func recordInvocation(function: String, outcome: String, duration: Duration) {
        state.withLock {
            $0.invocations["\(function)\u{0}\(outcome)", default: 0] += 1
            $0.invocationDurations[function, default: Histogram()].observe(duration.seconds)
        }
    }

    func recordColdStart(function: String, duration: Duration) {
        state.withLock {
            $0.coldStarts[function, default: 0] += 1
            $0.coldStartDurations[function, default: Histogram()].observe(duration.seconds)
        }
    }

    func setWorkers(function: String, count: Int) { state.withLock { $0.workers[function] = count } }
    func recordMQTTIn(topic: String) { state.withLock { $0.mqttIn[topic, default: 0] += 1 } }
    func recordMQTTOut(topic: String) { state.withLock { $0.mqttOut[topic, default: 0] += 1 } }
    func recordRetry(function: String) { state.withLock { $0.retries[function, default: 0] += 1 } }
    func recordDeadLetter(function: String) { state.withLock { $0.deadLetters[function, default: 0] += 1 } }

    /// Everything in the Prometheus text exposition format (version 0.0.4).
    public func prometheusText() -> String {
        let s = state.withLock { $0 }
        var out = ""
        func header(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func pairs(_ key: String) -> (String, String) {
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
        func histogram(_ name: String, _ label: String, _ values: [String: Histogram]) {
            for (key, h) in values.sorted(by: { $0.key < $1.key }) {
                let l = "\(label)=\"\(escape(key))\""
                for (i, bound) in Histogram.bounds.enumerated() {
                    out += "\(name)_bucket{\(l),le=\"\(bound)\"} \(h.buckets[i])\n"
                }
                out += "\(name)_bucket{\(l),le=\"+Inf\"} \(h.count)\n"
                out += "\(name)_sum{\(l)} \(h.sum)\n\(name)_count{\(l)} \(h.count)\n"
            }
        }
        func counter(_ name: String, _ label: String, _ values: [String: Int]) {
            for (key, v) in values.sorted(by: { $0.key < $1.key }) {
                out += "\(name){\(label)=\"\(escape(key))\"} \(v)\n"
            }
        }

        header("evcsm_http_requests_total", "counter", "API Gateway requests by route and status.")
        for (key, v) in s.requests.sorted(by: { $0.key < $1.key }) {
            let (route, status) = pairs(key)
            out += "evcsm_http_requests_total{route=\"\(escape(route))\",status=\"\(status)\"} \(v)\n"
        }
        header("evcsm_http_request_duration_seconds", "histogram", "API Gateway request durations.")
        histogram("evcsm_http_request_duration_seconds", "route", s.requestDurations)
        header("evcsm_invocations_total", "counter", "Function invocations by outcome.")
        for (key, v) in s.invocations.sorted(by: { $0.key < $1.key }) {
            let (function, outcome) = pairs(key)
            out += "evcsm_invocations_total{function=\"\(escape(function))\",outcome=\"\(outcome)\"} \(v)\n"
        }
        header("evcsm_invocation_errors_total", "counter", "Invocations that did not succeed.")
        var errors: [String: Int] = [:]
        for (key, v) in s.invocations {
            let (function, outcome) = pairs(key)
            if outcome != "success" { errors[function, default: 0] += v }
        }
        counter("evcsm_invocation_errors_total", "function", errors)
        header("evcsm_invocation_duration_seconds", "histogram", "Invocation durations.")
        histogram("evcsm_invocation_duration_seconds", "function", s.invocationDurations)
        header("evcsm_cold_starts_total", "counter", "Worker cold starts (spawn to first /next).")
        counter("evcsm_cold_starts_total", "function", s.coldStarts)
        header("evcsm_cold_start_duration_seconds", "histogram", "Cold start durations.")
        histogram("evcsm_cold_start_duration_seconds", "function", s.coldStartDurations)
        header("evcsm_workers", "gauge", "Live worker processes.")
        for (key, v) in s.workers.sorted(by: { $0.key < $1.key }) {
            out += "evcsm_workers{function=\"\(escape(key))\"} \(v)\n"
        }
        header("evcsm_mqtt_messages_in_total", "counter", "MQTT messages received by the IoT bridge.")
        counter("evcsm_mqtt_messages_in_total", "topic", s.mqttIn)
        header("evcsm_mqtt_messages_out_total", "counter", "MQTT messages published (IoT Data Plane, simulator).")
        counter("evcsm_mqtt_messages_out_total", "topic", s.mqttOut)
        header("evcsm_iot_retries_total", "counter", "IoT rule invocation retries.")
        counter("evcsm_iot_retries_total", "function", s.retries)
        header("evcsm_iot_dead_letters_total", "counter", "IoT messages written to the dead-letter file.")
        counter("evcsm_iot_dead_letters_total", "function", s.deadLetters)
        return out
    }

    func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
