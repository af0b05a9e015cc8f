import BSON
import ChargingCore
import ChargingCoreTesting
import ChargingWire
import DataAPI
import Logging
import Testing

/// A meter batch of several sessions through the Data API: their sessions in one `find`, their writes in one
/// `bulkWrite`, the changed sessions read back in one `find` (3 requests, not 3 per session).
@Suite("Meter batch round trips")
struct MeterBatchRoundTripTests {
    static let ids = ["s-a", "s-b", "s-c"]

    /// A `Charging` session on `cp-<id>` with 1,000 Wh at `seq` 1 (30 minutes in, so 2,000 Wh is plausible).
    static func document(_ id: String, energyWh: Int64 = 1_000, seq: Int64 = 1) -> String {
        DataAPISessionStoreTests.sessionDocument
            .replacingOccurrences(of: Harness.fixtureSessionID, with: id)
            .replacingOccurrences(of: #""chargingPointId":"cp-1""#, with: #""chargingPointId":"cp-\#(id)""#)
            .replacingOccurrences(
                of: #""energyWh":{"$numberLong":"15500"}"#, with: #""energyWh":{"$numberLong":"\#(energyWh)"}"#
            )
            .replacingOccurrences(
                of: #""energyConsumed":{"$numberDouble":"15.5"}"#, with: #""energyConsumed":{"$numberDouble":"1.0"}"#
            )
            .replacingOccurrences(
                of: #""lastMeterSeq":{"$numberLong":"3"}"#, with: #""lastMeterSeq":{"$numberLong":"\#(seq)"}"#)
    }

    static func documents(_ ids: [String], energyWh: Int64 = 1_000, seq: Int64 = 1) -> String {
        #"{"documents":[\#(ids.map { document($0, energyWh: energyWh, seq: seq) }.joined(separator: ","))]}"#
    }

    static let matched = #"{"matchedCount":1,"modifiedCount":1}"#

    static func batch() -> [MeterBatchItem] {
        ids.map { id in
            MeterBatchItem(
                id: "m-\(id)", chargingPointId: "cp-\(id)",
                reading: MeterReading(sessionId: id, energyWh: 2_000, seq: 2))
        }
    }

    @Test("three sessions: find, one bulkWrite of three guarded updates, find of the three; each published once")
    func oneRequestEach() async throws {
        let harness = Harness()
        let bodies = try await replay([
            RecordedExchange("find", "ChargingSessions", Self.documents(Self.ids)),
            RecordedExchange(
                "bulkWrite", "ChargingSessions", #"{"results":[\#(Self.matched),\#(Self.matched),\#(Self.matched)]}"#),
            RecordedExchange("find", "ChargingSessions", Self.documents(Self.ids, energyWh: 2_000, seq: 2)),
        ]) { store in
            var dependencies = harness.dependencies
            dependencies.store = store
            let outcome = await dependencies.service.record(batch: Self.batch(), logger: Logger(label: "test"))
            #expect(outcome.failedItems.isEmpty)
            for id in Self.ids {
                guard case .recorded(let session) = outcome.outcomes[id] else {
                    Issue.record("\(id): \(String(describing: outcome.outcomes[id]))")
                    continue
                }
                #expect(session.energyWh == 2_000)
            }
        }
        #expect(bodies.count == 3)
        #expect(bodies[0]["filter"] == ["_id": ["$in": ["s-a", "s-b", "s-c"]]])
        for (index, id) in Self.ids.enumerated() {
            let update = try #require(bodies[1].bulkOperation(index))
            #expect(update.kind == "updateOne")
            #expect(update.fields["filter"]?.documentValue?["_id"] == .string(id))
            #expect(update.fields["filter"]?.documentValue?["lastMeterSeq"] == ["$lt": .int64(2)])
            #expect(update.fields["requireMatch"] == nil)
        }
        #expect(try harness.updates.map(\.sessionId).sorted() == Self.ids)
    }

    @Test("a write the Data API refuses fails its group alone: the writes after it go in the next request")
    func refusedWriteFailsAlone() async throws {
        let harness = Harness()
        let bodies = try await replay([
            RecordedExchange("find", "ChargingSessions", Self.documents(Self.ids)),
            RecordedExchange(
                "bulkWrite", "ChargingSessions",
                #"{"results":[\#(Self.matched)],"writeError":{"index":1,"error":"refused","error_code":"InvalidParameter"}}"#
            ),
            RecordedExchange("bulkWrite", "ChargingSessions", #"{"results":[\#(Self.matched)]}"#),
            RecordedExchange("find", "ChargingSessions", Self.documents(["s-a", "s-c"], energyWh: 2_000, seq: 2)),
        ]) { store in
            var dependencies = harness.dependencies
            dependencies.store = store
            let outcome = await dependencies.service.record(batch: Self.batch(), logger: Logger(label: "test"))
            #expect(outcome.failedItems == ["m-s-b"])
            #expect(outcome.outcomes["s-b"] == nil)
            guard case .recorded = outcome.outcomes["s-c"] else {
                Issue.record("s-c: \(String(describing: outcome.outcomes["s-c"]))")
                return
            }
        }
        #expect(bodies[2].bulkOperation(0)?.fields["filter"]?.documentValue?["_id"] == "s-c")
        #expect(bodies[2].bulkOperation(1) == nil)
        #expect(bodies[3]["filter"] == ["_id": ["$in": ["s-a", "s-c"]]])
        #expect(try harness.updates.map(\.sessionId).sorted() == ["s-a", "s-c"])
    }

    @Test("a bulkWrite that fails as a whole reports every group for retry and publishes nothing")
    func failedRequest() async throws {
        let harness = Harness()
        _ = try await replay([
            RecordedExchange("find", "ChargingSessions", Self.documents(Self.ids)),
            RecordedExchange(
                "bulkWrite", "ChargingSessions", status: 503, #"{"error":"down","error_code":"ServiceUnavailable"}"#),
        ]) { store in
            var dependencies = harness.dependencies
            dependencies.store = store
            let outcome = await dependencies.service.record(batch: Self.batch(), logger: Logger(label: "test"))
            #expect(outcome.failedItems.sorted() == ["m-s-a", "m-s-b", "m-s-c"])
        }
        #expect(try harness.updates.isEmpty)
    }

    @Test("a duplicate (seq not newer) matches nothing: not read back, not published")
    func unmatched() async throws {
        let harness = Harness()
        _ = try await replay([
            RecordedExchange("find", "ChargingSessions", Self.documents(Self.ids)),
            RecordedExchange(
                "bulkWrite", "ChargingSessions",
                #"{"results":[\#(Self.matched),{"matchedCount":0,"modifiedCount":0},\#(Self.matched)]}"#),
            RecordedExchange("find", "ChargingSessions", Self.documents(["s-a", "s-c"], energyWh: 2_000, seq: 2)),
        ]) { store in
            var dependencies = harness.dependencies
            dependencies.store = store
            let outcome = await dependencies.service.record(batch: Self.batch(), logger: Logger(label: "test"))
            #expect(outcome.failedItems.isEmpty)
            #expect(outcome.outcomes["s-b"] == .ignored)
        }
        #expect(try harness.updates.map(\.sessionId).sorted() == ["s-a", "s-c"])
    }
}
