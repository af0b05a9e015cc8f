import BSON
import DataAPI
import Logging
import Synchronization
import Testing

@testable import ChargingCore

/// The OCPP additions of ``DataAPISessionStore``, ``DataAPITransactionIds`` and ``DataAPIIdTagStore`` against a real
/// evcsm-data-api (SQLite, ephemeral port).
@Suite("OCPP transaction store (Data API)")
struct OcppTransactionStoreTests {
    static let point = "CP-0001"

    static func session(
        _ id: String, connector: Int?, minutesAgo: Int64, transactionId: Int64? = nil
    ) -> ChargingSession {
        ChargingSession(
            sessionId: id, chargingPointId: point, userId: "user-7", vehicleId: "unknown",
            startTime: Harness.start - minutesAgo * 60_000, maxPower: 22, targetCharge: 0, targetEnergyWh: 0,
            currency: "EUR", tariff: Tariff(), connectorId: connector, idTag: connector.map { _ in "CARD-\(id)" },
            transactionId: transactionId)
    }

    @Test("per-connector locks, transaction look-up, attach once, pending starts, idle expiry without OCPP sessions")
    func sessions() async throws {
        try await OcppChargerStateTests.withDataAPI { _, _, client in
            let logger = Logger(label: "test")
            let store = DataAPISessionStore(client: client, logger: logger)
            let ids = DataAPITransactionIds(client: client, logger: logger)
            // Connectors 1 and 2 of one point charge at once; connector 2 twice is busy.
            try await store.insert(Self.session("s-1", connector: 1, minutesAgo: 60))
            try await store.insert(Self.session("s-2", connector: 2, minutesAgo: 60))
            await #expect(throws: ChargingError.self) {
                try await store.insert(Self.session("s-2b", connector: 2, minutesAgo: 1))
            }
            let lock = try client.findOne(DataAPISessionStore.chargingPointsCollection, filter: ["_id": "CP-0001/2"])
            #expect(lock?["activeSessionId"] == "s-2")
            #expect(try await store.chargingSession(chargingPointId: Self.point, connectorId: 2)?.sessionId == "s-2")
            #expect(try await store.chargingSession(chargingPointId: Self.point, connectorId: 3) == nil)

            // Both pending; one gets its transaction (once).
            #expect(try await store.pendingRemoteStarts(before: Harness.start, limit: 10).count == 2)
            let id = try await ids.allocate(
                chargePointId: Self.point, connectorId: 2, sessionId: "s-2", at: Harness.start)
            #expect((1...Int64(Int32.max)).contains(id))
            #expect(
                try await store.attachTransaction(sessionId: "s-2", transactionId: id, meterStartWh: 1500, idTag: "T"))
            #expect(
                try await !store.attachTransaction(sessionId: "s-2", transactionId: id, meterStartWh: 0, idTag: "T"))
            let attached = try #require(try await store.session(transactionId: id))
            #expect(attached.sessionId == "s-2")
            #expect(attached.meterStartWh == 1500)
            #expect(attached.idTag == "T")
            #expect(attached.connectorId == 2)
            #expect(try await store.session(transactionId: id + 1) == nil)
            #expect(try await store.pendingRemoteStarts(before: Harness.start, limit: 10).map(\.sessionId) == ["s-1"])

            // Idle expiry sees the MQTT session only.
            try await store.insert(
                ChargingSession(
                    sessionId: "s-mqtt", chargingPointId: "cp-9", userId: "u", vehicleId: "v",
                    startTime: Harness.start - 3_600_000, maxPower: 11, targetCharge: 80, targetEnergyWh: 1000,
                    currency: "EUR"))
            #expect(try await store.idleSessions(before: Harness.start, limit: 10).map(\.sessionId) == ["s-mqtt"])

            // Stopping frees connector 2 only.
            let stopped = attached.stopped(at: Harness.start, reason: .local, tariff: Tariff())
            #expect(try await store.complete(stopped, expectedEnergyWh: 0))
            #expect(try await store.chargingSession(chargingPointId: Self.point, connectorId: 2) == nil)
            #expect(try await store.chargingSession(chargingPointId: Self.point, connectorId: 1)?.sessionId == "s-1")
            try await store.insert(Self.session("s-2c", connector: 2, minutesAgo: 0))
        }
    }

    @Test("a taken transaction id is drawn again; idTags are created, replaced and found by user")
    func transactionIdsAndTags() async throws {
        try await OcppChargerStateTests.withDataAPI { _, _, client in
            let logger = Logger(label: "test")
            let draws = Mutex<[Int32]>([42, 42, 43])
            let ids = DataAPITransactionIds(client: client, logger: logger) {
                draws.withLock { $0.isEmpty ? 99 : $0.removeFirst() }
            }
            #expect(try await ids.allocate(chargePointId: Self.point, connectorId: 1, sessionId: "a", at: 0) == 42)
            #expect(try await ids.allocate(chargePointId: Self.point, connectorId: 1, sessionId: "b", at: 0) == 43)
            let record = try client.findOne(DataAPISessionStore.transactionsCollection, filter: ["_id": .int32(43)])
            #expect(record?["sessionId"] == "b")

            let tags = DataAPIIdTagStore(client: client, logger: logger)
            let tag = IdTagRecord(idTag: "CARD 1", userId: "user-7", status: .accepted, expiryDate: 2_000, updatedAt: 1)
            #expect(try await tags.put(tag))
            #expect(try await tags.idTag("CARD 1") == tag)
            #expect(try await tags.idTag("card 1") == nil)
            #expect(try await tags.acceptedIdTag(userId: "user-7", now: 1_000) == tag)
            #expect(try await tags.acceptedIdTag(userId: "user-7", now: 3_000) == nil)
            var blocked = tag
            blocked.status = .blocked
            blocked.expiryDate = nil
            #expect(try await !tags.put(blocked))
            #expect(try await tags.idTag("CARD 1") == blocked)
            #expect(try await tags.acceptedIdTag(userId: "user-7", now: 1_000) == nil)
        }
    }
}
