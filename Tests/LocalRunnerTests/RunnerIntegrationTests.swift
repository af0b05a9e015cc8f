import Foundation
import TestSupport
import Testing

/// `evcsm-local` as a real process on ephemeral ports, with the real function binaries from
/// `EVCSM_BIN_DIR`, a temporary data dir and its own mosquitto.
@Suite("evcsm-local integration", .serialized)
struct RunnerIntegrationTests {
    static let api = "/api/ChargingSessionAPI"
    let mosquittoPub = "/usr/bin/mosquitto_pub"
    let mosquittoSub = "/usr/bin/mosquitto_sub"

    func start(_ runner: RunnerProcess, point: String) async throws -> String {
        let reply = try await runner.request(
            "POST", "\(Self.api)/start",
            json: ["userId": "u-1", "vehicleId": "v-1", "chargingPointId": point, "maxPower": 11, "targetCharge": 80])
        #expect(reply.status == 201, "start: \(reply.text)")
        return try #require(reply.json["sessionId"] as? String, "start: \(reply.text)")
    }

    @Test("the REST contract end to end: start 201 (estimatedDuration 120), status ACTIVE, stop 200 with cost")
    func restContract() async throws {
        let runner = try await RunnerProcess()
        let started = try await runner.request(
            "POST", "\(Self.api)/start",
            json: [
                "userId": "u-1", "vehicleId": "v-1", "chargingPointId": "cp-rest", "maxPower": 11, "targetCharge": 80,
            ])
        #expect(started.status == 201, "\(started.text)\n\(runner.log)")
        #expect(started.json["estimatedDuration"] as? Int == 120)
        #expect(started.json["status"] as? String == "STARTED")
        let id = try #require(started.json["sessionId"] as? String)

        let status = try await runner.request("GET", "\(Self.api)/status?chargingPointId=cp-rest")
        #expect(status.status == 200)
        #expect(status.json["status"] as? String == "ACTIVE")
        #expect(status.json["sessionId"] as? String == id)

        let busy = try await runner.request(
            "POST", "\(Self.api)/start",
            json: [
                "userId": "u-2", "vehicleId": "v-2", "chargingPointId": "cp-rest", "maxPower": 11, "targetCharge": 80,
            ])
        #expect(busy.status == 409)

        let stopped = try await runner.request("POST", "\(Self.api)/stop", json: ["sessionId": id])
        #expect(stopped.status == 200, "\(stopped.text)")
        #expect(stopped.json["status"] as? String == "STOPPED")
        #expect(stopped.json["cost"] is NSNumber)

        let one = try await runner.request("GET", "\(Self.api)/sessions/\(id)")
        #expect(one.status == 200)
        let list = try await runner.request("GET", "\(Self.api)/sessions?chargingPointId=cp-rest")
        #expect((list.json["sessions"] as? [[String: Any]])?.first?["sessionId"] as? String == id)

        let missing = try await runner.request("GET", "\(Self.api)/nothing-here")
        #expect(missing.status == 404)
        #expect(missing.json["error"] as? String == "NotFound")
        #expect(missing.json["timestamp"] is String)

        let metrics = try await runner.request("GET", "/metrics")
        #expect(metrics.text.contains("evcsm_cold_starts_total{function=\"StartSession\"} 1"))
        #expect(metrics.text.contains("evcsm_invocations_total{function=\"StopSession\",outcome=\"success\"} 1"))
        let health = try await runner.request("GET", "/healthz")
        #expect(health.status == 200)
        let swagger = try await runner.request("GET", "/swagger/v1/swagger.json")
        #expect(swagger.status == 200)
        #expect(try await runner.terminate() == 0)
    }

    @Test("mosquitto_pub on charging/updates starts a session and mosquitto_sub sees session/updates; SSE relays it")
    func chargingUpdatesOverMQTT() async throws {
        let runner = try await RunnerProcess()
        let screen = try runner.mqttArguments()
        // -d prints the SUBACK: publish only once the subscription is in place (no sleep-and-hope). stdbuf makes
        // mosquitto_sub's stdout line-buffered, so the SUBACK line arrives when it happens, not at exit.
        let subscriber = try ChildProcess.start(
            "/usr/bin/stdbuf",
            arguments: [
                "-oL", mosquittoSub, "-d", "-q", "1", "-t", "session/updates", "-C", "1", "-W", "60",
            ] + screen)
        try await subscriber.waitForOutput(containing: "SUBACK")
        _ = try await runTool(
            mosquittoPub,
            screen + ["-q", "1", "-t", "charging/updates", "-m", #"{"status":"Charging","chargingPointId":"cp-mqtt"}"#])
        _ = try await subscriber.wait(timeout: .seconds(70))
        let update = subscriber.standardOutputText
        #expect(update.contains("\"cp-mqtt\""), "mosquitto_sub got: \(update)\n\(runner.log)")
        #expect(update.contains("Charging"))
        try await eventually("GET /status shows the MQTT-started session as ACTIVE") {
            let status = try await runner.request("GET", "\(Self.api)/status?chargingPointId=cp-mqtt")
            return status.json["status"] as? String == "ACTIVE"
        }
        _ = try await runTool(mosquittoPub, screen + ["-q", "1", "-t", "charging/updates", "-m", "Stopped"])
        #expect(try await runner.terminate() == 0)
    }

    @Test("a charging/updates message published while the runner is down is handled when it is back (--mqtt-url)")
    func persistentBridgeSession() async throws {
        let port = try freeLoopbackPort()
        let broker = try ChildProcess.start("/usr/sbin/mosquitto", arguments: ["-p", "\(port)"])
        defer { broker.kill() }
        try await eventually("the test broker accepts connections") {
            try await runTool(mosquittoPub, ["-p", "\(port)", "-t", "ping", "-m", "x"]).isEmpty
        }
        let dataDirectory = try TestEnvironment.temporaryDirectory()
        let arguments = ["--mqtt-url", "mqtt://127.0.0.1:\(port)"]
        let first = try await RunnerProcess(dataDirectory: dataDirectory, extraArguments: arguments)
        _ = try await runTool(
            mosquittoPub,
            [
                "-p", "\(port)", "-q", "1", "-t", "charging/updates", "-m",
                #"{"status":"Charging","chargingPointId":"cp-up"}"#,
            ])
        try await eventually("the bridge is subscribed (a message while up starts a session)") {
            let status = try await first.request("GET", "\(Self.api)/status?chargingPointId=cp-up")
            return status.json["status"] as? String == "ACTIVE"
        }
        #expect(try await first.terminate() == 0)

        _ = try await runTool(
            mosquittoPub,
            [
                "-p", "\(port)", "-q", "1", "-t", "charging/updates", "-m",
                #"{"status":"Charging","chargingPointId":"cp-down"}"#,
            ])
        let second = try await RunnerProcess(dataDirectory: dataDirectory, extraArguments: arguments)
        try await eventually("the message published while the runner was down started a session") {
            let status = try await second.request("GET", "\(Self.api)/status?chargingPointId=cp-down")
            return status.json["status"] as? String == "ACTIVE"
        }
        #expect(try await second.terminate() == 0)
    }

    @Test("meter messages on chargers/<id>/meter move the session's energy")
    func meterValues() async throws {
        let runner = try await RunnerProcess()
        let id = try await start(runner, point: "cp-meter")
        // 50 Wh: what 11 kW may deliver right after the start (docs/METER.md).
        let payload = #"{"sessionId":"\#(id)","energyWh":50,"timestamp":"2026-11-26T11:09:55.123Z","seq":1}"#
        _ = try await runTool(
            mosquittoPub,
            try runner.mqttArguments(user: "simulator") + ["-q", "1", "-t", "chargers/cp-meter/meter", "-m", payload])
        try await eventually("energyConsumed reaches 0.05 kWh") {
            let session = try await runner.request("GET", "\(Self.api)/sessions/\(id)")
            return (session.json["energyConsumed"] as? NSNumber)?.doubleValue == 0.05
        }
        #expect(try await runner.terminate() == 0)
    }

    @Test("the charger simulator makes energy flow for a charging session")
    func simulator() async throws {
        // At 60× the simulator meters 60 × maxPower: the functions must judge plausibility on that time scale.
        let runner = try await RunnerProcess(
            extraArguments: ["--simulate-chargers", "--speed", "60", "--function-env", "METER_TIME_SCALE=60"])
        let id = try await start(runner, point: "cp-sim")
        try await eventually("simulated meter values raise energyConsumed") {
            let session = try await runner.request("GET", "\(Self.api)/sessions/\(id)")
            return ((session.json["energyConsumed"] as? NSNumber)?.doubleValue ?? 0) > 0
        }
        #expect(try await runner.terminate() == 0)
    }

    @Test("a worker killed with SIGKILL is replaced and the next request succeeds")
    func workerReplacement() async throws {
        let runner = try await RunnerProcess()
        let first = try await runner.request("GET", "\(Self.api)/sessions")
        #expect(first.status == 200)
        let workers = runner.descendants.filter { ProcessTable.commandLine($0).contains("ListSessions") }
        let worker = try #require(workers.first, "no ListSessions worker among \(runner.descendants)")
        kill(worker, SIGKILL)
        // Reaped, not merely a zombie leader: a killed multi-threaded process shows state Z while its other
        // threads still exit, and until then the runner rightly sees it as running and may hand it the request.
        try await eventually("the runner has reaped the killed worker") {
            !FileManager.default.fileExists(atPath: "/proc/\(worker)")
        }
        let next = try await runner.request("GET", "\(Self.api)/sessions")
        #expect(next.status == 200, "\(next.text)\n\(runner.log)")
        #expect(runner.descendants.contains { ProcessTable.commandLine($0).contains("ListSessions") })
        #expect(try await runner.terminate() == 0)
    }

    @Test("a function past its Timeout gives 504 and is killed; an init error gives 502 with its message")
    func timeoutAndInitError() async throws {
        let functions = try TestEnvironment.scriptFunctions(["Echo", "Sleepy", "Broken"])
        let runner = try await RunnerProcess(
            template: "\(TestEnvironment.root)/Tests/runner/test-template.yaml", functionsDirectory: functions)
        let slow = try await runner.request("GET", "/sleep")
        #expect(slow.status == 504)
        #expect(slow.json["error"] as? String == "GatewayTimeout")
        let broken = try await runner.request("GET", "/broken")
        #expect(broken.status == 502)
        #expect((broken.json["message"] as? String)?.contains("missing required environment variable EXAMPLE") == true)
        #expect(runner.log.contains("Broken init error"))
        let echo = try await runner.request("GET", "/echo/a%20b?x=1&x=2", headers: ["Cookie": "k=v"])
        #expect(echo.status == 200)
        #expect((echo.json["pathParameters"] as? [String: String]) == ["name": "a b"])
        #expect((echo.json["cookies"] as? [String]) == ["k=v"])
        #expect(echo.headers["set-cookie"]?.contains("a=1") == true)
        #expect(runner.log.contains("Echo | script function started"))
        #expect(try await runner.terminate() == 0)
    }

    @Test("SQLite data survives a SIGKILL of the runner")
    func sqliteSurvivesKill() async throws {
        let data = try TestEnvironment.temporaryDirectory()
        let first = try await RunnerProcess(dataDirectory: data)
        let id = try await start(first, point: "cp-durable")
        try await first.killHard()
        let second = try await RunnerProcess(dataDirectory: data)
        let session = try await second.request("GET", "\(Self.api)/sessions/\(id)")
        #expect(session.status == 200, "\(session.text)")
        #expect(session.json["chargingPointId"] as? String == "cp-durable")
        #expect(try await second.terminate() == 0)
    }

    @Test("SIGTERM stops the runner and leaves no child process")
    func sigtermLeavesNoChildren() async throws {
        let runner = try await RunnerProcess()
        _ = try await runner.request("GET", "\(Self.api)/sessions")
        _ = try await start(runner, point: "cp-term")
        let children = runner.descendants
        #expect(children.contains { ProcessTable.commandLine($0).contains("mosquitto") })
        #expect(children.count >= 3)
        #expect(try await runner.terminate() == 0)
        try await eventually("every child of the runner has exited") {
            children.allSatisfy { !ProcessTable.isAlive($0) }
        }
    }

    @Test("an invocation queued on a warm worker that never asks for work again times out (504), it does not hang")
    func wedgedWarmWorker() async throws {
        let runner = try await RunnerProcess(
            scriptFunction: "Wedged",
            template: """
                Resources:
                  Wedged:
                    Type: AWS::Serverless::Function
                    Properties:
                      Timeout: 1
                      Environment: {Variables: {MODE: wedge}}
                      Events:
                        Get:
                          Type: HttpApi
                          Properties: {Method: GET, Path: /wedge}
                """)
        let first = try await runner.request("GET", "/wedge")
        #expect(first.status == 200)
        let second = try await runner.request("GET", "/wedge")
        #expect(second.status == 504, "\(second.text)")
        #expect(try await runner.terminate() == 0)
    }

    @Test("an IoT invocation that keeps failing is retried twice, then dead-lettered")
    func deadLetters() async throws {
        let runner = try await RunnerProcess(
            scriptFunction: "Failing",
            template: RunnerProcess.testerMetadata + """
                Resources:
                  Failing:
                    Type: AWS::Serverless::Function
                    Properties:
                      Timeout: 5
                      Environment: {Variables: {MODE: fail}}
                      Events:
                        Rule:
                          Type: IoTRule
                          Properties:
                            Sql: "SELECT encode(*, 'base64') AS data, topic() AS topic, timestamp() AS ts FROM 'test/fail'"
                """)
        _ = try await runTool(
            mosquittoPub, try runner.mqttArguments(user: "tester") + ["-q", "1", "-t", "test/fail", "-m", "boom"])
        let file = "\(runner.dataDirectory)/dead-letters.jsonl"
        try await eventually("a dead-letter line for the message") {
            ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").contains("\"test/fail\"")
        }
        let line = try String(contentsOfFile: file, encoding: .utf8)
        #expect(line.contains("\"attempts\":3"))
        #expect(line.contains(Data("boom".utf8).base64EncodedString()))
        let metrics = try await runner.request("GET", "/metrics")
        #expect(metrics.text.contains("evcsm_invocations_total{function=\"Failing\",outcome=\"error\"} 3"))
        #expect(try await runner.terminate() == 0)
    }
}
