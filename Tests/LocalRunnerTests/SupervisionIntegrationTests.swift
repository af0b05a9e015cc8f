import Foundation
import TestSupport
import Testing

/// `evcsm-local` as a real process whose Data API process and broker die under it: it restarts them, answers
/// 503 in the gap (never hangs), and refuses to start on a port that another process holds.
@Suite("evcsm-local supervision", .serialized)
struct SupervisionIntegrationTests {
    static let api = "/api/ChargingSessionAPI"
    static let mosquittoPub = "/usr/bin/mosquitto_pub"
    /// A bound on every request of these tests: an answer later than this is a hang, and fails the test.
    static let answerWithin: TimeInterval = 30

    /// A request that must be answered within ``answerWithin``.
    static func bounded(
        _ runner: RunnerProcess, _ method: String, _ path: String, json: [String: Any]? = nil, body: String? = nil,
        headers: [String: String] = [:]
    ) async throws -> RunnerProcess.Reply {
        let request = UncheckedRequest(method: method, path: path, json: json, body: body, headers: headers)
        return try await withThrowingTaskGroup(of: RunnerProcess.Reply?.self) { group in
            group.addTask {
                try await runner.request(
                    request.method, request.path, json: request.json, body: request.body.map { Data($0.utf8) },
                    headers: request.headers)
            }
            group.addTask {
                try await Task.sleep(for: .seconds(answerWithin))
                return nil
            }
            defer { group.cancelAll() }
            guard let reply = try await group.next() ?? nil else {
                throw HarnessError("\(method) \(path) was not answered within \(answerWithin) s (a hang)")
            }
            return reply
        }
    }

    /// A Data API call through the runner's `/data-api` proxy with the run's key.
    static func dataAPI(_ runner: RunnerProcess, _ action: String, _ body: String) async throws -> RunnerProcess.Reply {
        let key = try String(contentsOfFile: "\(runner.dataDirectory)/data-api-key", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return try await bounded(
            runner, "POST", "/data-api/action/\(action)", body: body,
            headers: ["apiKey": key, "Content-Type": "application/json"])
    }

    static func pid(of runner: RunnerProcess, containing text: String) -> Int32? {
        runner.descendants.first { ProcessTable.commandLine($0).contains(text) && ProcessTable.isAlive($0) }
    }

    /// The value of `evcsm_child_restarts_total{child=<child>}` in /metrics.
    static func restarts(_ runner: RunnerProcess, child: String) async throws -> Int? {
        let prefix = "evcsm_child_restarts_total{child=\"\(child)\"} "
        let metrics = try await bounded(runner, "GET", "/metrics").text
        let line = metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Int($0.dropFirst(prefix.count)) }
    }

    static let probeDocument =
        #"{"dataSource":"local","database":"EVChargingDB","collection":"probe","document":{"_id":"p-1","n":1}}"#
    static let probeFind = #"{"dataSource":"local","database":"EVChargingDB","collection":"probe","filter":{}}"#

    @Test("SIGKILL of the Data API: 503 envelopes in the gap, no hang, then the same data without a runner restart")
    func dataAPIRestart() async throws {
        let bin = try TestEnvironment.binDirectory()
        let scratch = try TestEnvironment.temporaryDirectory()
        // The runner's evcsm-data-api, through a wrapper that refuses to start while `hold` exists: the gap
        // lasts until the test ends it, however fast restarts are.
        let hold = "\(scratch)/hold"
        let wrapper = "\(scratch)/data-api-wrapper.sh"
        try """
        #!/bin/sh
        if [ -e '\(hold)' ]; then echo "held by the test" >&2; exit 3; fi
        exec '\(bin)/evcsm-data-api' "$@"

        """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper)
        let runner = try await RunnerProcess(extraArguments: ["--data-api-binary", wrapper])

        let inserted = try await Self.dataAPI(runner, "insertOne", Self.probeDocument)
        #expect((200..<300).contains(inserted.status), "\(inserted.text)\n\(runner.log)")
        let started = try await Self.bounded(
            runner, "POST", "\(Self.api)/start",
            json: [
                "userId": "u-1", "vehicleId": "v-1", "chargingPointId": "cp-gap", "maxPower": 11, "targetCharge": 80,
            ])
        #expect(started.status == 201, "workers reach the Data API directly: \(started.text)")
        #expect(try await Self.restarts(runner, child: "data-api") == 0)

        let first = try #require(Self.pid(of: runner, containing: "evcsm-data-api --host"), "\(runner.log)")
        #expect(FileManager.default.createFile(atPath: hold, contents: nil))
        kill(first, SIGKILL)
        try await eventually("the runner saw the Data API die and could not restart it yet") {
            runner.log.contains("killed by signal 9 unexpectedly") && runner.log.contains("held by the test")
        }

        let proxied = try await Self.dataAPI(runner, "find", Self.probeFind)
        #expect(proxied.status == 503)
        #expect(proxied.text == #"{"error":"Data API is restarting","error_code":"ServiceUnavailable"}"#)
        #expect(proxied.headers["content-type"] == "application/json")
        let status = try await Self.bounded(runner, "GET", "\(Self.api)/status?chargingPointId=cp-gap")
        #expect(status.status >= 500, "\(status.text)")
        #expect(status.json["error"] is String, "an error envelope: \(status.text)")
        #expect(status.status == 503, "a Data API gap is a 503 ServiceUnavailable envelope: \(status.text)")
        #expect(status.json["error"] as? String == "ServiceUnavailable")
        let health = try await Self.bounded(runner, "GET", "/healthz")
        #expect(health.status == 200, "the rest of the runner is up: \(health.text)")

        try FileManager.default.removeItem(atPath: hold)
        try await eventually("the Data API is back, with the data written before the crash") {
            let found = try await Self.dataAPI(runner, "find", Self.probeFind)
            return found.status == 200 && found.text.contains("p-1")
        }
        let second = try #require(Self.pid(of: runner, containing: "evcsm-data-api --host"))
        #expect(second != first)
        let after = try await Self.bounded(runner, "GET", "\(Self.api)/status?chargingPointId=cp-gap")
        #expect(after.status == 200, "\(after.text)")
        #expect(after.json["status"] as? String == "ACTIVE")
        #expect(try await Self.restarts(runner, child: "data-api") ?? 0 >= 1)
        #expect(try await runner.terminate() == 0)
    }

    @Test("a Data API request that may crash it ($group on NaN) leaves the API Gateway and MQTT working")
    func badDataAPIRequest() async throws {
        let runner = try await RunnerProcess()
        #expect((200..<300).contains(try await Self.dataAPI(runner, "insertOne", Self.probeDocument).status))
        let group = """
            {"dataSource":"local","database":"EVChargingDB","collection":"probe",\
            "pipeline":[{"$group":{"_id":{"$numberDouble":"NaN"},"c":{"$sum":1}}}]}
            """
        // Answered, whatever the answer: a result, a 400, or a 503 if the process died under the request.
        _ = try await Self.dataAPI(runner, "aggregate", group)

        let health = try await Self.bounded(runner, "GET", "/healthz")
        #expect(health.status == 200, "\(health.text)")
        _ = try await runTool(
            Self.mosquittoPub,
            try runner.mqttArguments() + [
                "-q", "1", "-t", "charging/updates", "-m", #"{"status":"Charging","chargingPointId":"cp-after-nan"}"#,
            ])
        try await eventually("an MQTT message starts a session through the API Gateway's workers") {
            let status = try await Self.bounded(runner, "GET", "\(Self.api)/status?chargingPointId=cp-after-nan")
            return status.json["status"] as? String == "ACTIVE"
        }
        try await eventually("the Data API answers through the proxy") {
            try await Self.dataAPI(runner, "find", Self.probeFind).status == 200
        }
        #expect(try await runner.terminate() == 0)
    }

    @Test("SIGKILL of the broker: it comes back on its port, the bridge's session gets what was queued for it")
    func brokerRestart() async throws {
        let runner = try await RunnerProcess()
        let port = "\(runner.mqttPort)"
        let screen = try runner.mqttArguments()
        let since = Date()
        let database = "\(runner.dataDirectory)/mosquitto.db"
        // The broker has saved its database (the bridge's session and subscriptions) since the bridge subscribed.
        try await eventually("mosquitto saved its database after the bridge subscribed") {
            let modified = try? FileManager.default.attributesOfItem(atPath: database)[.modificationDate] as? Date
            return (modified ?? .distantPast) > since
        }
        let first = try #require(Self.pid(of: runner, containing: "mosquitto"), "\(runner.log)")
        kill(first, SIGKILL)
        try await eventually("a new mosquitto accepts connections on port \(port)") {
            guard let pid = Self.pid(of: runner, containing: "mosquitto"), pid != first else { return false }
            return try await runTool(Self.mosquittoPub, screen + ["-t", "ping", "-m", "x"]).isEmpty
        }
        // Published at once: the bridge reconnects up to a second after the broker is back, so this message
        // usually waits for it in the bridge's persistent session (restored from the database).
        _ = try await runTool(
            Self.mosquittoPub,
            screen + ["-q", "1", "-t", "charging/updates", "-m", #"{"status":"Charging","chargingPointId":"cp-away"}"#])
        try await eventually("the message published while the bridge was away started a session") {
            let status = try await Self.bounded(runner, "GET", "\(Self.api)/status?chargingPointId=cp-away")
            return status.json["status"] as? String == "ACTIVE"
        }
        try await eventually("the bridge is connected again") {
            try await Self.bounded(runner, "GET", "/healthz").status == 200
        }
        _ = try await runTool(
            Self.mosquittoPub,
            screen + ["-q", "1", "-t", "charging/updates", "-m", #"{"status":"Charging","chargingPointId":"cp-back"}"#])
        try await eventually("a message published afterwards starts a session") {
            let status = try await Self.bounded(runner, "GET", "\(Self.api)/status?chargingPointId=cp-back")
            return status.json["status"] as? String == "ACTIVE"
        }
        #expect(try await Self.restarts(runner, child: "mosquitto") == 1)
        #expect(runner.log.contains("mosquitto (pid \(first)) killed by signal 9 unexpectedly"), "\(runner.log)")
        #expect(try await runner.terminate() == 0)
    }

    /// Runs evcsm-local with `arguments` (ephemeral ports unless given) and returns its exit status and stderr.
    static func runToFailure(_ arguments: [String]) async throws -> (status: Int32, stderr: String) {
        let bin = try TestEnvironment.binDirectory()
        let data = try TestEnvironment.temporaryDirectory()
        let child = try ChildProcess.start(
            "\(bin)/evcsm-local",
            arguments: [
                "--data-dir", data, "--template", "\(TestEnvironment.root)/template.yaml", "--functions-dir", bin,
            ] + arguments)
        let status = try await child.wait(timeout: .seconds(60))
        return (status, child.standardErrorText)
    }

    @Test("an MQTT port held by another mosquitto is a startup error (exit 2) naming the port and its pid")
    func takenMQTTPort() async throws {
        let port = try freeLoopbackPort()
        let holder = try ChildProcess.start("/usr/sbin/mosquitto", arguments: ["-p", "\(port)"])
        defer { holder.kill() }
        let holderPid = try await holder.spawned()
        try await eventually("the other broker accepts connections") {
            try await runTool(Self.mosquittoPub, ["-p", "\(port)", "-t", "ping", "-m", "x"]).isEmpty
        }
        let (status, stderr) = try await Self.runToFailure([
            "--port", "0", "--mqtt-port", "\(port)", "--mqtt-ws-port", "0",
        ])
        #expect(status == 2, "\(stderr)")
        #expect(stderr.contains("port \(port) is already in use by mosquitto (pid \(holderPid))"), "\(stderr)")
        #expect(stderr.contains("--mqtt-url"), "\(stderr)")
    }

    @Test("an HTTP port held by another process is a startup error (exit 2) naming the port and its pid")
    func takenHTTPPort() async throws {
        let listener = try LoopbackListener()
        defer { listener.close() }
        let (status, stderr) = try await Self.runToFailure([
            "--port", "\(listener.port)", "--mqtt-port", "0", "--mqtt-ws-port", "0",
        ])
        #expect(status == 2, "\(stderr)")
        #expect(stderr.contains("port \(listener.port) is already in use by "), "\(stderr)")
        #expect(stderr.contains("(pid \(getpid()))"), "\(stderr)")
    }
}

/// A request's parts, handed to a task of a group (the JSON object is plain data).
struct UncheckedRequest: @unchecked Sendable {
    var method: String
    var path: String
    var json: [String: Any]?
    var body: String?
    var headers: [String: String]
}
