import Foundation
import TestSupport
import Testing

/// The `ExpireSessions` schedule with a real `evcsm-local`, the real function binaries and mosquitto_sub: a
/// session whose charger sends nothing is stopped (`Timeout`), its point is free again, and `session/updates` says so.
@Suite("evcsm-local schedules (ExpireSessions)", .serialized)
struct ExpireSessionsIntegrationTests {
    static let api = "/api/ChargingSessionAPI"
    let mosquittoSub = "/usr/bin/mosquitto_sub"
    /// 1.2 s without a reading is idle (the function reads SESSION_IDLE_TIMEOUT_MINUTES once at start).
    static let quickIdle = ["--function-env", "SESSION_IDLE_TIMEOUT_MINUTES=0.02"]

    func start(_ runner: RunnerProcess, point: String) async throws -> String {
        let reply = try await runner.request(
            "POST", "\(Self.api)/start",
            json: [
                "userId": "u-idle", "vehicleId": "v-idle", "chargingPointId": point, "maxPower": 11, "targetCharge": 80,
            ])
        #expect(reply.status == 201, "start: \(reply.text)")
        return try #require(reply.json["sessionId"] as? String)
    }

    @Test("POST /_schedules/ExpireSessions stops a silent session (Timeout), frees its point and publishes it")
    func triggeredRun() async throws {
        // A one-hour interval: only the test's triggers run the schedule.
        let runner = try await RunnerProcess(extraArguments: Self.quickIdle + ["--schedule-interval", "1h"])
        let session = try await start(runner, point: "cp-idle-1")
        let subscriber = try ChildProcess.start(
            "/usr/bin/stdbuf",
            arguments: [
                "-oL", mosquittoSub, "-d", "-q", "1", "-t", "session/updates", "-C", "1",
                "-W", "90",
            ] + (try runner.mqttArguments()))
        try await subscriber.waitForOutput(containing: "SUBACK")
        try await eventually("a triggered run stops the silent session") {
            let trigger = try await runner.request("POST", "/_schedules/ExpireSessions")
            #expect(trigger.status == 200, "trigger: \(trigger.text)\n\(runner.log)")
            let reply = try await runner.request("GET", "\(Self.api)/sessions/\(session)")
            return reply.json["status"] as? String == "STOPPED"
        }
        let stopped = try await runner.request("GET", "\(Self.api)/sessions/\(session)")
        #expect(stopped.json["stopReason"] as? String == "Timeout", "\(stopped.text)")
        #expect(stopped.json["endTime"] is String)

        _ = try await subscriber.wait(timeout: .seconds(100))
        let update = subscriber.standardOutputText
        #expect(update.contains(session), "mosquitto_sub got: \(update)")
        #expect(update.contains("Stopped"))

        // The point is free: a new session on it starts.
        let again = try await runner.request(
            "POST", "\(Self.api)/start",
            json: [
                "userId": "u-2", "vehicleId": "v-2", "chargingPointId": "cp-idle-1", "maxPower": 11, "targetCharge": 80,
            ])
        #expect(again.status == 201, "\(again.text)")

        let unknown = try await runner.request("POST", "/_schedules/GetStatus")
        #expect(unknown.status == 404)
        #expect(unknown.json["error"] as? String == "NotFound")
        let metrics = try await runner.request("GET", "/metrics").text
        #expect(metrics.contains(#"evcsm_invocations_total{function="ExpireSessions",outcome="success"}"#))
        #expect(try await runner.terminate() == 0)
    }

    @Test("the emulated schedule fires by itself (--schedule-interval 1s) and expires the session")
    func timerRun() async throws {
        let runner = try await RunnerProcess(extraArguments: Self.quickIdle + ["--schedule-interval", "1s"])
        let session = try await start(runner, point: "cp-idle-2")
        try await eventually("the scheduled run stops the silent session") {
            let reply = try await runner.request("GET", "\(Self.api)/sessions/\(session)")
            return reply.json["stopReason"] as? String == "Timeout"
        }
        #expect(runner.log.contains("schedule ExpireSessionsEvery of ExpireSessions (rate(1 minute)): every"))
        #expect(try await runner.terminate() == 0)
    }

    @Test("an invalid idle timeout fails the function's start with a clear message; nothing is stopped")
    func invalidTimeout() async throws {
        let runner = try await RunnerProcess(
            extraArguments: ["--function-env", "SESSION_IDLE_TIMEOUT_MINUTES=0", "--schedule-interval", "1h"])
        let session = try await start(runner, point: "cp-idle-3")
        let trigger = try await runner.request("POST", "/_schedules/ExpireSessions")
        #expect(trigger.status == 502, "\(trigger.text)")
        #expect(trigger.text.contains("init_error"), "\(trigger.text)")
        try await eventually("the init error is in the log") {
            runner.log.contains("SESSION_IDLE_TIMEOUT_MINUTES must be a number of minutes")
        }
        let reply = try await runner.request("GET", "\(Self.api)/sessions/\(session)")
        #expect(reply.json["status"] as? String == "ACTIVE")
        #expect(try await runner.terminate() == 0)
    }

    @Test("--function-env and --schedule-interval refuse bad values at start")
    func badFlags() async throws {
        for arguments in [["--schedule-interval", "soon"], ["--function-env", "DATA_API_URL=http://x"]] {
            let bin = try TestEnvironment.binDirectory()
            let child = try ChildProcess.start(
                "\(bin)/evcsm-local",
                arguments: ["--port", "0", "--data-dir", try TestEnvironment.temporaryDirectory()] + arguments,
                workingDirectory: TestEnvironment.root, output: .capture, error: .capture)
            #expect(try await child.wait(timeout: .seconds(60)) == 2)
            #expect(child.standardErrorText.contains(arguments[0]), "\(child.standardErrorText)")
        }
    }
}
