import Foundation
import LocalRunner
import Testing

/// The broker evcsm-local starts (mosquitto, dynamic security plugin) with the real template.yaml and the
/// real function binaries: who may sign in, publish and subscribe, observed with mosquitto_pub over MQTT v5
/// (a refused publish is a PUBACK with reason 135, "Not authorized"; a refused sign-in a CONNACK 135), and the
/// SigV4-signed `PUT /_iot/mqtt-clients/{username}` that makes a charger's user.
@Suite("evcsm-local MQTT security (dynamic security plugin)", .serialized)
struct MQTTSecurityIntegrationTests {
    static let api = "/api/ChargingSessionAPI"
    static let mosquittoPub = "/usr/bin/mosquitto_pub"
    static let accepted = "PUBACK (Mid: 1, RC:0)"
    static let refused = "PUBACK (Mid: 1, RC:135)"

    /// mosquitto_pub -V 5 -q 1 -d with `arguments` (sign-in): its whole output.
    static func publish(_ arguments: [String], topic: String, _ message: String) async throws -> String {
        try await runTool(mosquittoPub, arguments + ["-V", "5", "-q", "1", "-d", "-t", topic, "-m", message])
    }

    static func start(_ runner: RunnerProcess, point: String) async throws -> String {
        let reply = try await runner.request(
            "POST", "\(api)/start",
            json: ["userId": "u-1", "vehicleId": "v-1", "chargingPointId": point, "maxPower": 11, "targetCharge": 80])
        #expect(reply.status == 201, "start: \(reply.text)")
        return try #require(reply.json["sessionId"] as? String, "start: \(reply.text)")
    }

    static func energy(_ runner: RunnerProcess, session: String) async throws -> Double? {
        let reply = try await runner.request("GET", "\(api)/sessions/\(session)")
        return (reply.json["energyConsumed"] as? NSNumber)?.doubleValue
    }

    @Test("no anonymous client, no wrong password; one set of rules for the MQTT and WebSockets listeners")
    func signIn() async throws {
        let runner = try await RunnerProcess()
        let anonymous = RunnerProcess.mqttArguments(port: runner.mqttPort, credentials: nil)
        let output = try await Self.publish(anonymous, topic: "charging/updates", #"{"status":"Charging"}"#)
        #expect(output.contains("CONNACK (135)") && !output.contains("PUBLISH"), "anonymous: \(output)")
        var wrong = try runner.mqttScreenCredentials
        wrong.password += "x"
        let refused = try await Self.publish(
            RunnerProcess.mqttArguments(port: runner.mqttPort, credentials: wrong), topic: "charging/updates", "{}")
        #expect(refused.contains("CONNACK (135)") && !refused.contains("PUBLISH"), "wrong password: \(refused)")
        let config = try String(contentsOfFile: "\(runner.dataDirectory)/mosquitto.conf", encoding: .utf8)
        #expect(config.contains("per_listener_settings false\nallow_anonymous false\nplugin "), "\(config)")
        #expect(config.contains("protocol websockets"))
        #expect(!runner.log.contains(try runner.mqttScreenCredentials.password), "a password in the log")
        #expect(try await runner.terminate() == 0)
    }

    @Test("the screen user starts a session on charging/updates but may not publish meter readings")
    func screenUser() async throws {
        let runner = try await RunnerProcess()
        let screen = try runner.mqttArguments()
        let start = try await Self.publish(
            screen, topic: "charging/updates", #"{"status":"Charging","chargingPointId":"cp-screen"}"#)
        #expect(start.contains(Self.accepted), "\(start)")
        try await eventually("GET /status shows the session the screen user started") {
            let status = try await runner.request("GET", "\(Self.api)/status?chargingPointId=cp-screen")
            return status.json["status"] as? String == "ACTIVE"
        }
        let meter = try await Self.publish(screen, topic: "chargers/cp-screen/meter", #"{"energyWh":1}"#)
        #expect(meter.contains(Self.refused), "\(meter)")
        #expect(try await runner.terminate() == 0)
    }

    @Test("a charger made by the signed route publishes only under chargers/<its name>/, and keeps it after a restart")
    func provisionedCharger() async throws {
        let data = try TestEnvironment.temporaryDirectory()
        let runner = try await RunnerProcess(dataDirectory: data)
        let password = "cp7-" + UUID().uuidString
        let made = try await MQTTClientsRequest.put(
            runner, username: "cp-7", #"{"password":"\#(password)","role":"charger"}"#)
        #expect(made.status == 204, "PUT: \(made.body)")
        let own = try await Self.start(runner, point: "cp-7")
        let other = try await Self.start(runner, point: "cp-8")
        let cp7 = RunnerProcess.mqttArguments(
            port: runner.mqttPort, credentials: MQTTCredentials(username: "cp-7", password: password))
        // Refused first: the broker answers each PUBLISH before the next, and a refused one is never delivered.
        let foreign = try await Self.publish(
            cp7, topic: "chargers/cp-8/meter", #"{"sessionId":"\#(other)","energyWh":40,"seq":1}"#)
        #expect(foreign.contains(Self.refused), "\(foreign)")
        let update = try await Self.publish(
            cp7, topic: "charging/updates", #"{"status":"Charging","chargingPointId":"cp-9"}"#)
        #expect(update.contains(Self.refused), "\(update)")
        let reading = try await Self.publish(
            cp7, topic: "chargers/cp-7/meter", #"{"sessionId":"\#(own)","energyWh":50,"seq":1}"#)
        #expect(reading.contains(Self.accepted), "\(reading)")
        try await eventually("cp-7's own reading moves its session to 0.05 kWh") {
            try await Self.energy(runner, session: own) == 0.05
        }
        #expect(try await Self.energy(runner, session: other) == 0, "cp-8's session was written")
        let status = try await runner.request("GET", "\(Self.api)/status?chargingPointId=cp-9")
        #expect(status.json["status"] as? String != "ACTIVE", "cp-7 started a session on cp-9: \(status.text)")
        let screen = try runner.mqttScreenCredentials
        #expect(try await runner.terminate() == 0)

        let again = try await RunnerProcess(dataDirectory: data)
        #expect(try again.mqttScreenCredentials == screen, "the screen user's password changed on restart")
        let afterRestart = RunnerProcess.mqttArguments(
            port: again.mqttPort, credentials: MQTTCredentials(username: "cp-7", password: password))
        let second = try await Self.publish(
            afterRestart, topic: "chargers/cp-7/meter", #"{"sessionId":"\#(own)","energyWh":60,"seq":2}"#)
        #expect(second.contains(Self.accepted), "\(second)")
        try await eventually("cp-7 still signs in after the restart (its reading arrives)") {
            try await Self.energy(again, session: own) == 0.06
        }
        #expect(try await again.terminate() == 0)
    }

    @Test("a point registered through POST /chargers signs in with the password it got once, for its own topics")
    func registeredCharger() async throws {
        let runner = try await RunnerProcess()
        let registered = try await runner.request("POST", "\(Self.api)/chargers", json: ["chargePointId": "cp-reg"])
        #expect(registered.status == 201, "register: \(registered.text)")
        let password = try #require(registered.json["password"] as? String, "register: \(registered.text)")
        let session = try await Self.start(runner, point: "cp-reg")
        let credentials = MQTTCredentials(username: "cp-reg", password: password)
        let charger = RunnerProcess.mqttArguments(port: runner.mqttPort, credentials: credentials)
        let reading = try await Self.publish(
            charger, topic: "chargers/cp-reg/meter", #"{"sessionId":"\#(session)","energyWh":50,"seq":1}"#)
        #expect(reading.contains(Self.accepted), "\(reading)")
        try await eventually("the registered point's reading moves its session to 0.05 kWh") {
            try await Self.energy(runner, session: session) == 0.05
        }
        #expect(!runner.log.contains(password), "the charger's password in the log")
        #expect(try await runner.terminate() == 0)
    }

    @Test("PUT /_iot/mqtt-clients: unsigned or badly signed 403, non-grantable role 400, bad body 400; nothing made")
    func provisioningRefusals() async throws {
        let runner = try await RunnerProcess()
        let body = #"{"password":"secret-1","role":"charger"}"#
        let unsigned = try await runner.request("PUT", "/_iot/mqtt-clients/cp-x", body: Data(body.utf8))
        #expect(unsigned.status == 403, "\(unsigned.text)")
        #expect(unsigned.json["message"] is String, "\(unsigned.text)")
        let forged = try await MQTTClientsRequest.put(runner, username: "cp-x", body, secret: "not-the-secret")
        #expect(forged.status == 403, "\(forged.body)")
        for (name, role) in [("cp-y", "screen"), ("cp-y", "evcsm-bridge"), ("cp-y", "evcsm-admin"), ("cp-y", "nope")] {
            let reply = try await MQTTClientsRequest.put(
                runner, username: name, #"{"password":"secret-1","role":"\#(role)"}"#)
            #expect(reply.status == 400, "role \(role): \(reply.body)")
        }
        for bad in [#"{"password":"","role":"charger"}"#, #"{"role":"charger"}"#, "not json"] {
            let reply = try await MQTTClientsRequest.put(runner, username: "cp-z", bad)
            #expect(reply.status == 400, "\(bad): \(reply.body)")
        }
        let badName = try await MQTTClientsRequest.put(runner, username: "cp~1", body)
        #expect(badName.status == 400, "\(badName.body)")
        let screen = try runner.mqttScreenCredentials
        for own in ["screen", "simulator", "evcsm-bridge", "evcsm-admin"] {
            let reply = try await MQTTClientsRequest.put(runner, username: own, body)
            #expect(reply.status == 400, "\(own) taken over: \(reply.body)")
        }
        let still = try await Self.publish(
            RunnerProcess.mqttArguments(port: runner.mqttPort, credentials: screen), topic: "charging/updates", "{}")
        #expect(still.contains(Self.accepted), "the screen user lost its password or role: \(still)")
        for username in ["cp-x", "cp-y", "cp-z"] {
            let output = try await Self.publish(
                RunnerProcess.mqttArguments(
                    port: runner.mqttPort, credentials: MQTTCredentials(username: username, password: "secret-1")),
                topic: "chargers/\(username)/meter", "{}")
            #expect(output.contains("CONNACK (135)"), "\(username) signs in: \(output)")
        }
        #expect(try await runner.terminate() == 0)
    }
}

/// `PUT /_iot/mqtt-clients/{username}` signed as the runner's workers sign (curl's `--aws-sigv4`, service
/// `iotdata`, the pair in `<data-dir>/aws-credentials.json`).
enum MQTTClientsRequest {
    struct Reply {
        var status: Int
        var body: String
    }

    /// `secret` replaces the runner's secret key (a badly signed request).
    static func put(
        _ runner: RunnerProcess, username: String, _ body: String, secret: String? = nil
    ) async throws -> Reply {
        let path = "\(runner.dataDirectory)/aws-credentials.json"
        let pair = try JSONDecoder().decode(
            WorkerCredentials.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
        let output = try await runTool(
            "/usr/bin/curl",
            [
                "-s", "-X", "PUT", "--aws-sigv4", "aws:amz:us-east-1:iotdata",
                "--user", "\(pair.accessKeyId):\(secret ?? pair.secretAccessKey)", "-H",
                "content-type: application/json",
                "--data-binary", body, "-w", "\n%{http_code}", "\(runner.baseURL)/_iot/mqtt-clients/\(username)",
            ])
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        return Reply(status: Int(lines.last ?? "") ?? 0, body: lines.dropLast().joined(separator: "\n"))
    }
}
