import BSON
import ChargingCore
import ChargingCoreTesting
import ChargingWire
import DataAPI
import FunctionRuntime
import Logging
import Testing

/// Every Data API call of a stop is a round trip (in the cloud, Lambda → the Data API): a stop reads its session
/// once, also when the handler read it to see whether it is an OCPP session, and when a meter value that reached
/// the target ends it.
@Suite("Stop round trips")
struct StopRoundTripTests {
    /// `POST /stop` through the handler StopSession runs (with OCPP control; no charger is registered).
    static func stopThroughOcppCapableHandler(_ store: DataAPISessionStore) async throws -> APIGatewayV2Response {
        let harness = Harness()
        var dependencies = harness.dependencies
        dependencies.store = store
        let control = OcppControl(
            registry: InMemoryRegistry(), chargers: InMemoryChargerState(), idTags: InMemoryIdTags(),
            calls: RecordingChargerCalls())
        return try await harness.respond(StopSessionHandler(dependencies, ocpp: control), Fixture.request("stop"))
    }

    @Test(
        "POST /stop with OCPP control on a session that is not an OCPP session: findOne, then the CAS and the release in one bulkWrite"
    )
    func ocppCapableHandler() async throws {
        let bodies = try await replay([
            RecordedExchange(
                "findOne", "ChargingSessions", #"{"document":\#(DataAPISessionStoreTests.sessionDocument)}"#),
            .stopped,
        ]) { store in
            let response = try await Self.stopThroughOcppCapableHandler(store)
            #expect(response.statusCode == 200)
            #expect(try json(response)["cost"] as? Double == 12.75)
        }
        #expect(bodies.count == 2)
        #expect(bodies[1].bulkOperation(0)?.fields["filter"]?.documentValue?["energyWh"] == .int64(15_500))
    }

    @Test("a CAS that lost to a meter value reads the session again and stops what it read")
    func casLostReadsAgain() async throws {
        let moved = DataAPISessionStoreTests.sessionDocument.replacingOccurrences(
            of: #""energyWh":{"$numberLong":"15500"}"#, with: #""energyWh":{"$numberLong":"16000"}"#)
        let bodies = try await replay([
            RecordedExchange(
                "findOne", "ChargingSessions", #"{"document":\#(DataAPISessionStoreTests.sessionDocument)}"#),
            .compareAndSetLost,
            RecordedExchange("findOne", "ChargingSessions", #"{"document":\#(moved)}"#),
            .stopped,
        ]) { store in
            let response = try await Self.stopThroughOcppCapableHandler(store)
            #expect(response.statusCode == 200)
            #expect(try json(response)["energyConsumed"] as? Double == 16.0)
        }
        #expect(bodies.count == 4)
        #expect(bodies[1].bulkOperation(0)?.fields["filter"]?.documentValue?["energyWh"] == .int64(15_500))
        #expect(bodies[3].bulkOperation(0)?.fields["filter"]?.documentValue?["energyWh"] == .int64(16_000))
    }

    @Test(
        "Stopped without a sessionId (stopActive): the point's active session by find, then the CAS and the release in one bulkWrite"
    )
    func stopActive() async throws {
        let bodies = try await replay([
            RecordedExchange(
                "find", "ChargingSessions", #"{"documents":[\#(DataAPISessionStoreTests.sessionDocument)]}"#),
            .stopped,
        ]) { store in
            var dependencies = Harness().dependencies
            dependencies.store = store
            let outcome = try await dependencies.service.stopActive(
                chargingPointId: "cp-1", logger: Logger(label: "test"))
            #expect(outcome?.session.status == .stopped)
            #expect(outcome?.wasAlreadyStopped == false)
        }
        #expect(bodies.count == 2)
        #expect(bodies[0]["filter"]?.documentValue?["status"] == "Charging")
    }

    @Test(
        "a retried meter batch (all duplicates) of a session at its target: findOne, then the CAS and the release in one bulkWrite"
    )
    func meterAtTarget() async throws {
        let atTarget = DataAPISessionStoreTests.sessionDocument.replacingOccurrences(
            of: #""energyWh":{"$numberLong":"15500"}"#, with: #""energyWh":{"$numberLong":"22000"}"#)
        let sessionId = "3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17"
        let bodies = try await replay([
            RecordedExchange("findOne", "ChargingSessions", #"{"document":\#(atTarget)}"#),
            .stopped,
        ]) { store in
            var dependencies = Harness().dependencies
            dependencies.store = store
            let item = MeterBatchItem(
                id: "m1", chargingPointId: "cp-1",
                reading: MeterReading(sessionId: sessionId, energyWh: 22_000, seq: 3))
            let outcome = await dependencies.service.record(batch: [item], logger: Logger(label: "test"))
            #expect(outcome.failedItems.isEmpty)
            guard case .targetReached(let session) = outcome.outcomes[sessionId] else {
                Issue.record("expected targetReached, got \(String(describing: outcome.outcomes[sessionId]))")
                return
            }
            #expect(session.stopReason == .targetReached)
        }
        #expect(bodies.count == 2)
        #expect(bodies[1].bulkOperation(0)?.fields["filter"]?.documentValue?["energyWh"] == .int64(22_000))
    }
}
