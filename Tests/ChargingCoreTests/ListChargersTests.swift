import ChargingCore
import ChargingCoreTesting
import Foundation
import FunctionRuntime
import Testing

@Suite("ListChargers")
struct ListChargersTests {
    /// A store with CP-0001 (OCPP, connected, booted, connector 1 reported) and mqtt-1 (never connected).
    static func store() async throws -> InMemoryChargerState {
        let chargers = InMemoryChargerState()
        chargers.register(OcppWorld.registration())
        var mqtt = OcppWorld.registration("mqtt-1", ocpp: false)
        mqtt.connectors = [ChargerConnector(connectorId: 1, maxPower: 7.4)]
        chargers.register(mqtt)
        try await chargers.connect(
            ChargerConnection(
                connectionId: OcppWorld.connectionId, chargePointId: OcppWorld.chargePointId,
                connectedAt: Harness.start))
        try await chargers.recordBoot(
            chargePointId: OcppWorld.chargePointId,
            boot: ChargerBoot(
                chargePointVendor: "VendorX", chargePointModel: "M1", details: ["firmwareVersion": "1.4.2"],
                at: Harness.start + 1_000))
        try await chargers.recordHeartbeat(chargePointId: OcppWorld.chargePointId, at: Harness.start + 2_000)
        _ = try await chargers.recordStatus(
            chargePointId: OcppWorld.chargePointId,
            status: ConnectorStatusRecord(
                connectorId: 1, status: "Charging", errorCode: "NoError", info: "ok", receivedAt: Harness.start + 3_000)
        )
        return chargers
    }

    @Test("an operator gets every registered point sorted by id with connection, boot and connector statuses")
    func listing() async throws {
        let handler = ListChargersHandler(chargers: try await Self.store(), authMode: .jwt)
        let response = try await Harness().respond(handler, Fixture.request("list-chargers", as: .operator))
        #expect(response.statusCode == 200)
        let chargers = try #require(try json(response)["chargers"] as? [[String: Any]])
        #expect(chargers.map { $0["chargePointId"] as? String } == ["CP-0001", "mqtt-1"])
        let ocpp = chargers[0]
        #expect(ocpp["ocpp"] as? Bool == true)
        #expect(ocpp["connected"] as? Bool == true)
        #expect(ocpp["connectionId"] as? String == OcppWorld.connectionId)
        #expect(ocpp["connectedAt"] as? String == "2026-11-26T11:09:55.123Z")
        #expect(ocpp["lastHeartbeat"] as? String == "2026-11-26T11:09:57.123Z")
        #expect(ocpp["lastSeen"] as? String == "2026-11-26T11:09:58.123Z")
        let boot = try #require(ocpp["boot"] as? [String: String])
        #expect(
            boot == [
                "chargePointVendor": "VendorX", "chargePointModel": "M1", "firmwareVersion": "1.4.2",
                "at": "2026-11-26T11:09:56.123Z",
            ])
        let connectors = try #require(ocpp["connectors"] as? [[String: Any]])
        #expect(connectors.count == 2)
        #expect(connectors[0]["connectorId"] as? Int == 1)
        #expect(connectors[0]["maxPower"] as? Double == 22)
        #expect(connectors[0]["status"] as? String == "Charging")
        #expect(connectors[0]["errorCode"] as? String == "NoError")
        #expect(connectors[0]["info"] as? String == "ok")
        #expect(connectors[0]["updatedAt"] as? String == "2026-11-26T11:09:58.123Z")
        #expect(Set(connectors[1].keys) == ["connectorId", "maxPower"])
        let mqtt = chargers[1]
        #expect(Set(mqtt.keys) == ["chargePointId", "ocpp", "connected", "connectors"])
        #expect(mqtt["connected"] as? Bool == false)
    }

    @Test("a driver gets 403, a request without claims 401, and the store is not read")
    func operatorsOnly() async throws {
        let chargers = InMemoryChargerState(failing: InMemoryRegistry.Unavailable())
        let handler = ListChargersHandler(chargers: chargers, authMode: .jwt)
        let driver = try await Harness().respond(handler, Fixture.request("list-chargers", as: .driver))
        #expect(driver.statusCode == 403)
        #expect(try envelope(driver).error == "Forbidden")
        let anonymous = try await Harness().respond(handler, Fixture.request("list-chargers", as: .anonymous))
        #expect(anonymous.statusCode == 401)
    }

    @Test("with no registered point the list is empty")
    func empty() async throws {
        let handler = ListChargersHandler(chargers: InMemoryChargerState(), authMode: .none)
        let response = try await Harness().respond(handler, Fixture.request("list-chargers"))
        #expect(response.statusCode == 200)
        #expect(response.body == #"{"chargers":[]}"#)
    }
}
