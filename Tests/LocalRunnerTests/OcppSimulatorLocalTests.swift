import ChargingWire
import Foundation
import LocalRunner
import Logging
import TestSupport
import Testing

@testable import ChargerSimulator

/// evcsm-local's OCPP charger: registration through the API and the password file in the data directory.
@Suite struct OcppSimulatorLocalTests {
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ocpp-sim-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func api(registration: StubResponse) -> StubHTTPServer.Handler {
        { request in
            switch request.path {
            case "/dev/token": return .json(#"{"token":"dev-token"}"#)
            case "/api/ChargingSessionAPI/chargers": return registration
            default: return .json(#"{"message":"Not Found"}"#, status: 404)
            }
        }
    }

    @Test func registersOnceAndKeepsThePasswordInTheDataDirectory() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let created = StubResponse.json(#"{"chargePointId":"ocpp-1","password":"pw-1"}"#, status: 201)
        try await StubHTTPServer.withServer(Self.api(registration: created)) { server in
            let charger = OcppLocalCharger(dataDirectory: directory, speed: 1, logger: Logger(label: "test"))
            #expect(await charger.password(apiURL: server.baseURL) == "pw-1")
            let register = try #require(server.requests.first { $0.path == "/api/ChargingSessionAPI/chargers" })
            #expect(register.method == "POST")
            #expect(register.header("Authorization") == "Bearer dev-token")
            let body = try OcppJSON.parse(register.body)
            #expect(body["chargePointId"] == "ocpp-1")
            #expect(body["ocpp"] == true)

            let file = charger.passwordFile
            #expect(file == directory + "/ocpp-ocpp-1.json")
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            #expect(mode == 0o600)
            let stored = try OcppJSON.parse(try #require(FileManager.default.contents(atPath: file)))
            #expect(stored["password"] == "pw-1")

            server.clearRequests()
            let again = OcppLocalCharger(dataDirectory: directory, speed: 1, logger: Logger(label: "test"))
            #expect(await again.password(apiURL: server.baseURL) == "pw-1")
            #expect(server.requests.isEmpty)
        }
    }

    @Test func alreadyRegisteredWithoutTheFileIsSkipped() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let conflict = StubResponse.json(#"{"error":"ChargingPointBusy","message":"already registered"}"#, status: 409)
        try await StubHTTPServer.withServer(Self.api(registration: conflict)) { server in
            let charger = OcppLocalCharger(dataDirectory: directory, speed: 1, logger: Logger(label: "test"))
            #expect(await charger.password(apiURL: server.baseURL) == nil)
            #expect(!FileManager.default.fileExists(atPath: charger.passwordFile))
            #expect(server.requests.filter { $0.path == "/api/ChargingSessionAPI/chargers" }.count == 1)
        }
    }

    @Test func theMQTTSimulatorLeavesOcppSessionsAlone() async throws {
        let sessions: StubHTTPServer.Handler = { request in
            request.path.hasSuffix("/s-ocpp") ? .json(#"{"maxPower":22,"connectorId":1}"#) : .json(#"{"maxPower":11}"#)
        }
        try await StubHTTPServer.withServer(sessions) { server in
            let charger = OcppLocalCharger(dataDirectory: "/nonexistent", speed: 1, logger: Logger(label: "test"))
            let simulator = ChargerSimulator(
                speed: 1, apiURL: server.baseURL, logger: Logger(label: "test"), ocpp: charger)
            for (id, point) in [("s-ocpp", "cp-real-ocpp"), ("s-local", "ocpp-1"), ("s-mqtt", "cp-1")] {
                let update = SessionUpdate(
                    sessionId: id, chargingPointId: point, status: "Charging", energyConsumed: 0, cost: 0,
                    durationMinutes: 0, timestamp: "2026-12-01T12:00:00.000Z")
                await simulator.accept(MQTTMessage(topic: Topics.sessionUpdates, payload: try update.encoded()))
            }
            #expect(await simulator.activeSessions == ["s-mqtt"])
            #expect(simulator.bannerLine.contains("\n  OCPP sim:   ocpp-1 → (starting)"))
            await simulator.stop()
        }
    }

    @Test func webSocketURLFollowsTheAPIURL() {
        #expect(
            OcppLocalCharger.webSocketURL(apiURL: "http://127.0.0.1:5274", chargePointId: "ocpp-1")
                == "ws://127.0.0.1:5274/ocpp/ocpp-1")
        #expect(OcppLocalCharger.webSocketURL(apiURL: "https://h/", chargePointId: "x") == "wss://h/ocpp/x")
    }
}
