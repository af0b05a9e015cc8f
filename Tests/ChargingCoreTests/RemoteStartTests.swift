import ChargingCore
import ChargingCoreTesting
import ChargingWire
import Foundation
import FunctionRuntime
import Logging
import Testing

@Suite("RemoteStart")
struct RemoteStartTests {
    static func body(connectorId: String? = nil, point: String = "ocpp-1") -> String {
        let connector = connectorId.map { #","connectorId":\#($0)"# } ?? ""
        return
            #"{"userId":"u1","vehicleId":"v1","chargingPointId":"\#(point)","maxPower":11,"targetCharge":80\#(connector)}"#
    }

    /// Expects the one stored session to have ended as NotStarted with cost 0 and two session/updates.
    static func expectCleanedUp(_ world: OcppControlWorld) async throws {
        let sessions = await world.harness.store.all
        #expect(sessions.count == 1)
        let session = try #require(sessions.first)
        #expect(session.status == .stopped)
        #expect(session.stopReason == .notStarted)
        #expect(session.costCents == 0)
        #expect(try world.harness.updates.map(\.status) == ["Charging", "Stopped"])
        // The connector's lock is free again.
        world.calls.answer("RemoteStartTransaction", with: .accepted)
        #expect(try await world.start(body(connectorId: "1")).statusCode == 201)
    }

    @Test("Accepted → 201; the session holds the first Available connector and the user's remote idTag")
    func accepted() async throws {
        let world = try await OcppControlWorld(statuses: [1: "Charging", 2: "Available"])
        let response = try await world.start(Self.body())
        #expect(response.statusCode == 201, "\(response.body)")
        let body = try json(response)
        #expect(body["status"] as? String == "STARTED")
        let sessionId = try #require(body["sessionId"] as? String)
        let stored = try #require(await world.harness.store.session(id: sessionId))
        #expect(stored.status == .charging)
        #expect(stored.connectorId == 2)
        #expect(stored.idTag == RemoteIdTag.forUser("u1"))
        #expect(stored.transactionId == nil)
        #expect(stored.targetEnergyWh > 0)
        let call = try #require(world.calls.calls.first)
        #expect(world.calls.calls.count == 1)
        #expect(call.chargePointId == "ocpp-1" && call.action == "RemoteStartTransaction")
        #expect(call.payload == ["connectorId": 2, "idTag": .string(RemoteIdTag.forUser("u1"))])
        #expect(call.timeout == .seconds(7))
        #expect(try world.harness.updates.map(\.status) == ["Charging"])
    }

    @Test("the user's Accepted idTag and the requested connector are used")
    func ownTagAndConnector() async throws {
        let tag = IdTagRecord(idTag: "CARD-9", userId: "u1", status: .accepted, updatedAt: Harness.start)
        let world = try await OcppControlWorld(idTags: [tag], statuses: [1: "Available", 2: "Preparing"])
        #expect(try await world.start(Self.body(connectorId: "2")).statusCode == 201)
        #expect(world.calls.calls.first?.payload == ["connectorId": 2, "idTag": "CARD-9"])
    }

    @Test("without an Available connector a Preparing one (a plugged-in car) is used; none free → 409, nothing written")
    func connectorChoice() async throws {
        let preparing = try await OcppControlWorld(statuses: [1: "Charging", 2: "Preparing"])
        #expect(try await preparing.start(Self.body()).statusCode == 201)
        #expect(preparing.calls.calls.first?.payload["connectorId"] == 2)

        let busy = try await OcppControlWorld(statuses: [1: "Charging", 2: "Faulted"])
        let response = try await busy.start(Self.body())
        #expect(response.statusCode == 409)
        #expect(try envelope(response).error == "Conflict")
        #expect(await busy.harness.store.writeCount == 0)
        #expect(busy.calls.calls.isEmpty)
    }

    @Test("a connectorId the charger does not have, or not an integer, is 400 naming it; nothing written or sent")
    func badConnector() async throws {
        for connector in ["3", "0", "1.5", #""1""#, "null"] {
            let world = try await OcppControlWorld()
            let response = try await world.start(Self.body(connectorId: connector))
            #expect(response.statusCode == 400, "\(connector)")
            #expect(try errorMessage(response).hasPrefix("connectorId"), "\(connector)")
            #expect(await world.harness.store.writeCount == 0)
            #expect(world.calls.calls.isEmpty)
        }
    }

    @Test("Rejected → 409 ChargerRejected; the session ends NotStarted with cost 0 and the connector is free")
    func rejected() async throws {
        let world = try await OcppControlWorld(
            calls: RecordingChargerCalls(answers: ["RemoteStartTransaction": .rejected]))
        let response = try await world.start(Self.body())
        #expect(response.statusCode == 409)
        #expect(try envelope(response).error == "ChargerRejected")
        try await Self.expectCleanedUp(world)
    }

    @Test("a CALLERROR answer → 409 ChargerRejected with the code in the message")
    func callError() async throws {
        let world = try await OcppControlWorld(
            calls: RecordingChargerCalls(answers: [
                "RemoteStartTransaction": .outcome(.error(code: "InternalError", description: "relay stuck"))
            ]))
        let response = try await world.start(Self.body())
        #expect(response.statusCode == 409)
        #expect(try envelope(response).message.contains("InternalError"))
        try await Self.expectCleanedUp(world)
    }

    @Test(
        "no answer → 504 ChargerTimeout; not connected → 409 ChargerNotConnected; busy → 409 ChargerBusy; all cleaned up",
        arguments: [
            (ChargingErrorCode.chargerTimeout, 504), (.chargerNotConnected, 409), (.chargerBusy, 409),
        ])
    func callFailures(code: ChargingErrorCode, status: Int) async throws {
        let world = try await OcppControlWorld(
            calls: RecordingChargerCalls(answers: ["RemoteStartTransaction": .failure(ChargingError(code, "scripted"))])
        )
        let response = try await world.start(Self.body())
        #expect(response.statusCode == status)
        #expect(try envelope(response).error == code.rawValue)
        try await Self.expectCleanedUp(world)
    }

    @Test("a StartTransaction that attached before the timeout makes the start a success after all")
    func attachedMeanwhile() async throws {
        var world = try await OcppControlWorld()
        let store = world.harness.store
        world.calls = RecordingChargerCalls(
            answers: ["RemoteStartTransaction": .failure(ChargingError(.chargerTimeout, "late"))],
            onCall: { _ in
                let pending = try #require(await store.all.first)
                _ = await store.attachTransaction(
                    sessionId: pending.sessionId, transactionId: 77, meterStartWh: 0, idTag: pending.idTag ?? "")
            })
        let response = try await world.start(Self.body())
        #expect(response.statusCode == 201, "\(response.body)")
        #expect(await store.all.first?.status == .charging)
    }

    @Test("a point that is not an OCPP charger starts as before, without any call")
    func mqttPointUnchanged() async throws {
        for point in ["cp-1", "cp-unregistered"] {
            let world = try await OcppControlWorld()
            let response = try await world.start(Self.body(point: point))
            #expect(response.statusCode == 201)
            #expect(world.calls.calls.isEmpty)
            #expect(await world.harness.store.all.first?.connectorId == nil)
        }
    }

    @Test("without OCPP_CONNECTIONS_ENDPOINT an OCPP point answers 503 and nothing is written")
    func unconfigured() async throws {
        var world = try await OcppControlWorld()
        world.reachable = false
        let response = try await world.start(Self.body())
        #expect(response.statusCode == 503)
        #expect(try envelope(response).message.contains("OCPP_CONNECTIONS_ENDPOINT"))
        #expect(await world.harness.store.writeCount == 0)
    }
}
