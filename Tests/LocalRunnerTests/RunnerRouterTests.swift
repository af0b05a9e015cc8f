import Foundation
import FunctionRuntime
import Hummingbird
import HummingbirdTesting
import Testing

@testable import LocalRunner

/// The runner's routes through `buildRouter` and the Hummingbird test client, with a fake Lambda.
@Suite("Runner routes and metrics")
struct RunnerRouterTests {
    /// Every metric family the runner exported before swift-prometheus, with its type and help text.
    static let families: [(name: String, type: String, help: String)] = [
        ("evcsm_http_requests_total", "counter", "API Gateway requests by route and status."),
        ("evcsm_http_request_duration_seconds", "histogram", "API Gateway request durations."),
        ("evcsm_invocations_total", "counter", "Function invocations by outcome."),
        ("evcsm_invocation_errors_total", "counter", "Invocations that did not succeed."),
        ("evcsm_invocation_duration_seconds", "histogram", "Invocation durations."),
        ("evcsm_cold_starts_total", "counter", "Worker cold starts (spawn to first /next)."),
        ("evcsm_cold_start_duration_seconds", "histogram", "Cold start durations."),
        ("evcsm_workers", "gauge", "Live worker processes."),
        ("evcsm_mqtt_messages_in_total", "counter", "MQTT messages received by the IoT bridge."),
        ("evcsm_mqtt_messages_out_total", "counter", "MQTT messages published (IoT Data Plane, simulator)."),
        ("evcsm_iot_retries_total", "counter", "IoT rule invocation retries."),
        ("evcsm_iot_dead_letters_total", "counter", "IoT messages written to the dead-letter file."),
    ]

    static func services(_ metrics: RunnerMetrics) -> RouterServices {
        RouterServices(
            template: APIGatewayTests.template,
            invoker: FakeInvoker { _ in .success(Array(#"{"statusCode":200,"body":"ok"}"#.utf8)) },
            metrics: metrics, events: EventStream(), publisher: AsyncValue(), dataAPI: DataAPIUpstream(),
            brokerConnected: { true })
    }

    static func router(bench: Bool = false, metrics: RunnerMetrics = RunnerMetrics()) -> Router<BasicRequestContext> {
        var configuration = RunnerConfiguration()
        configuration.benchRoute = bench
        configuration.webDirectory = TestEnvironment.root + "/Web"
        configuration.swaggerUIDirectory = "/nonexistent"
        return buildRouter(configuration: configuration, services: services(metrics))
    }

    /// Checks the Prometheus text exposition format (0.0.4): HELP/TYPE comments, then samples of declared
    /// families, each `name{label="value",...} number`. Returns the problems found.
    static func formatProblems(_ text: String) -> [String] {
        var problems: [String] = []
        var types: [String: String] = [:]
        let sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (\S+)$/
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram"].contains(parts[3]) else {
                    problems.append("bad TYPE line: \(line)")
                    continue
                }
                types[String(parts[2])] = String(parts[3])
                continue
            }
            guard let match = line.wholeMatch(of: sample) else {
                problems.append("not a sample: \(line)")
                continue
            }
            let name = String(match.output.1)
            let value = String(match.output.5)
            if Double(value) == nil && !["+Inf", "-Inf", "NaN"].contains(value) {
                problems.append("bad value: \(line)")
            }
            var family = name
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && types[name] == nil {
                family = String(name.dropLast(suffix.count))
            }
            if types[family] == nil { problems.append("sample before its TYPE line: \(line)") }
        }
        if !text.hasSuffix("\n") { problems.append("does not end with a newline") }
        return problems
    }

    @Test("a request that matches no route is a 404 counted as route=\"unmatched\"; a route's own 404 is not")
    func unmatchedRequestsAreCounted() async throws {
        let metrics = RunnerMetrics()
        metrics.registerKnownSeries(template: APIGatewayTests.template)
        try await Application(router: Self.router(metrics: metrics)).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(
                    String(buffer: response.body).contains(
                        #"evcsm_http_requests_total{route="unmatched",status="404"} 0"#))
            }
            for path in ["/nowhere", "/api/sessions", "/also/not/here?x=1"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound)
                }
            }
            try await client.execute(uri: "/swagger/not-an-asset.js", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/sessions/s-1", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: response.body)
                #expect(text.contains(#"evcsm_http_requests_total{route="unmatched",status="404"} 3"#))
                #expect(
                    text.contains(#"evcsm_http_requests_total{route="GET /api/sessions/{sessionId}",status="200"} 1"#))
                #expect(
                    text.contains(
                        #"evcsm_http_request_duration_seconds_count{route="GET /api/sessions/{sessionId}"} 1"#))
                #expect(Self.formatProblems(text) == [])
            }
        }
    }

    @Test("/metrics is valid Prometheus text with the names, types, help texts and labels it always had")
    func exposition() throws {
        let metrics = RunnerMetrics()
        metrics.registerKnownSeries(template: APIGatewayTests.template)
        metrics.recordRequest(route: "GET /x", status: 200, duration: .milliseconds(3))
        metrics.recordUnmatchedRequest()
        metrics.recordInvocation(function: "F", outcome: "success", duration: .milliseconds(7))
        metrics.recordInvocation(function: "F", outcome: "timeout", duration: .seconds(40))
        metrics.recordColdStart(function: "F", duration: .milliseconds(12))
        metrics.setWorkers(function: "F", count: 2)
        metrics.recordMQTTIn(topic: "chargers/+/meter")
        metrics.recordMQTTOut(topic: "session/\"quoted\"\\updates")
        metrics.recordRetry(function: "F")
        metrics.recordDeadLetter(function: "F")
        let text = metrics.prometheusText()
        #expect(Self.formatProblems(text) == [])
        for family in Self.families {
            #expect(text.contains("# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n"))
        }
        #expect(text.contains(#"evcsm_http_requests_total{route="GET /x",status="200"} 1"#))
        #expect(text.contains(#"evcsm_http_requests_total{route="unmatched",status="404"} 1"#))
        #expect(text.contains(#"evcsm_invocations_total{function="F",outcome="timeout"} 1"#))
        #expect(text.contains(#"evcsm_invocation_errors_total{function="F"} 1"#))
        #expect(text.contains(#"evcsm_invocation_duration_seconds_bucket{function="F",le="0.01"} 1"#))
        #expect(text.contains(#"evcsm_invocation_duration_seconds_bucket{function="F",le="30.0"} 1"#))
        #expect(text.contains(#"evcsm_invocation_duration_seconds_bucket{function="F",le="+Inf"} 2"#))
        #expect(text.contains(#"evcsm_invocation_duration_seconds_count{function="F"} 2"#))
        #expect(text.contains(#"evcsm_cold_starts_total{function="F"} 1"#))
        #expect(text.contains(#"evcsm_cold_start_duration_seconds_sum{function="F"} 0.012"#))
        #expect(text.contains(#"evcsm_workers{function="F"} 2.0"#))
        #expect(text.contains(#"evcsm_workers{function="Sessions"} 0.0"#))
        #expect(text.contains(#"evcsm_mqtt_messages_in_total{topic="chargers/+/meter"} 1"#))
        #expect(text.contains(#"evcsm_mqtt_messages_out_total{topic="session/\"quoted\"\\updates"} 1"#))
        #expect(text.contains(#"evcsm_iot_retries_total{function="F"} 1"#))
        #expect(text.contains(#"evcsm_iot_dead_letters_total{function="F"} 1"#))
    }

    @Test("two runners in one process keep their own counts")
    func registriesAreSeparate() {
        let first = RunnerMetrics()
        let second = RunnerMetrics()
        first.recordUnmatchedRequest()
        #expect(first.prometheusText().contains(#"evcsm_http_requests_total{route="unmatched",status="404"} 1"#))
        #expect(!second.prometheusText().contains("evcsm_http_requests_total"))
    }

    @Test("/_bench/hello exists only with --bench (RunnerConfiguration.benchRoute)")
    func benchRoute() async throws {
        try await Application(router: Self.router()).test(.router) { client in
            try await client.execute(uri: "/_bench/hello", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
        try await Application(router: Self.router(bench: true)).test(.router) { client in
            try await client.execute(uri: "/_bench/hello", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "hello")
            }
        }
        #expect(RunnerConfiguration().benchRoute == false)
    }

    @Test("/healthz: sorted-key JSON, 503 while the broker is down; the Data API is 503 until its store opens")
    func healthAndDataAPI() async throws {
        var services = Self.services(RunnerMetrics())
        services.brokerConnected = { false }
        let router = buildRouter(configuration: RunnerConfiguration(), services: services)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(
                    String(buffer: response.body).hasPrefix(
                        #"{"functions":2,"mqtt":"disconnected","status":"degraded","uptimeSeconds":"#))
            }
            try await client.execute(
                uri: "/data-api/action/findOne", method: .post,
                headers: [HTTPHeaderField.Name("apiKey")!: "key", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"dataSource":"d","database":"db","collection":"c","filter":{}}"#)
            ) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }
    }
}
