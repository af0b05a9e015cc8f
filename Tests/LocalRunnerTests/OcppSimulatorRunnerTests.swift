import ChargingWire
import Foundation
import TestSupport
import Testing

/// `evcsm-local --simulate-chargers` runs the OCPP charger `ocpp-1` against its own WebSocket API.
@Suite("OCPP simulator in evcsm-local", .serialized)
struct OcppSimulatorRunnerTests {
    static let chargers = "/api/ChargingSessionAPI/chargers"

    /// `ocpp-1` as `GET /chargers` (operator) lists it.
    static func ocppCharger(_ runner: RunnerProcess) async throws -> OcppJSON? {
        let reply = try await runner.request("GET", chargers)
        guard reply.status == 200 else { return nil }
        return try OcppJSON.parse(reply.body)["chargers"]?.arrayValue?.first { $0["chargePointId"] == "ocpp-1" }
    }

    static func waitUntilConnected(_ runner: RunnerProcess) async throws {
        try await eventually("ocpp-1 connected and booted in GET /chargers") {
            let charger = try await ocppCharger(runner)
            return charger?["connected"] == true && charger?["boot"]?["chargePointVendor"] == "evcsm"
        }
    }

    /// REST start on ocpp-1 → RemoteStartTransaction → the simulator's meter values raise the energy → REST stop →
    /// RemoteStopTransaction → StopTransaction (reason Remote).
    static func remoteStartAndStop(_ runner: RunnerProcess) async throws {
        let driver = try await runner.token(sub: "ocpp-driver")
        let start = try await runner.request(
            "POST", "/api/ChargingSessionAPI/start",
            json: ["chargingPointId": "ocpp-1", "vehicleId": "car-1", "maxPower": 22, "targetCharge": 80],
            token: driver)
        #expect(start.status == 201, "\(start.text)")
        let sessionId = try #require(try OcppJSON.parse(start.body)["sessionId"]?.stringValue)
        try await eventually("OCPP meter values raise the session's energy") {
            let session = try OcppJSON.parse(
                try await runner.request("GET", "/api/ChargingSessionAPI/sessions/\(sessionId)", token: driver).body)
            return session["transactionId"]?.int64Value != nil && (session["energyConsumed"]?.doubleValue ?? 0) > 0
        }
        let stop = try await runner.request(
            "POST", "/api/ChargingSessionAPI/stop", json: ["sessionId": sessionId], token: driver)
        #expect(stop.status == 200, "\(stop.text)")
        let stopped = try OcppJSON.parse(stop.body)
        #expect(stopped["stopReason"] == "Remote")
        #expect((stopped["energyConsumed"]?.doubleValue ?? 0) > 0)
    }

    @Test("registers ocpp-1 once, connects it, charges over OCPP, reuses the stored password, skips it when lost")
    func registersConnectsAndReuses() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        let passwordFile = "\(directory)/ocpp-ocpp-1.json"

        let first = try await RunnerProcess(
            dataDirectory: directory, extraArguments: ["--simulate-chargers", "--speed", "60"])
        #expect(first.child.standardOutputText.contains("OCPP sim:   ocpp-1 → ws://127.0.0.1:"))
        try await Self.waitUntilConnected(first)
        // BootNotification comes first; the connector's StatusNotification follows it on its own message.
        try await eventually("ocpp-1's connector reported Available in GET /chargers") {
            try await Self.ocppCharger(first)?["connectors"]?.arrayValue?.first?["status"] == "Available"
        }
        let charger = try #require(try await Self.ocppCharger(first))
        #expect(charger["ocpp"] == true)
        let mode = try FileManager.default.attributesOfItem(atPath: passwordFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(first.log.contains("registered ocpp-1; password stored"))
        try await Self.remoteStartAndStop(first)
        #expect(try await first.terminate() == 0)

        // Same data dir: the stored password is used, nothing is registered again.
        let second = try await RunnerProcess(dataDirectory: directory, extraArguments: ["--simulate-chargers"])
        try await eventually("ocpp-1 reconnected") {
            second.log.contains("OCPP: BootNotification accepted")
        }
        try await Self.waitUntilConnected(second)
        #expect(!second.log.contains("registered ocpp-1; password stored"))
        #expect(try await second.terminate() == 0)

        // Registered, but the password file is gone: a clear warning, the runner still serves.
        try FileManager.default.removeItem(atPath: passwordFile)
        let third = try await RunnerProcess(dataDirectory: directory, extraArguments: ["--simulate-chargers"])
        try await eventually("the already-registered warning") {
            third.log.contains("ocpp-1 is already registered, but \(passwordFile) does not hold its password")
        }
        #expect(!FileManager.default.fileExists(atPath: passwordFile))
        #expect(try await third.request("GET", Self.chargers).status == 200)
        #expect(try await third.terminate() == 0)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
