import ChargingCore
import ChargingCoreTesting
import ChargingWire
import Essentials
import FunctionRuntime
import Logging
import Testing

/// The world of the transaction tests: in-memory fakes, the charger `CP-0001` (connectors 1 at 22 kW and 2 at
/// 11 kW) and helpers that send its four transaction actions. The server clock stands at ``Harness/start``;
/// message timestamps are given in minutes before it.
struct TxWorld {
    static let point = OcppWorld.chargePointId

    let harness: Harness
    let idTags: InMemoryIdTags
    let transactions = InMemoryTransactionIds(first: 1001)
    let calls = RecordingChargerCalls()

    init(sessions: [ChargingSession] = [], idTags: [IdTagRecord] = []) {
        harness = Harness(sessions)
        self.idTags = InMemoryIdTags(idTags)
    }

    var store: InMemorySessionStore { harness.store }

    var deps: OcppDependencies {
        OcppDependencies(
            charging: harness.dependencies, registry: InMemoryRegistry([OcppWorld.registration()]),
            chargers: InMemoryChargerState(), idTags: idTags, transactions: transactions, calls: calls,
            outstanding: InMemoryOutstandingCalls(), settings: OcppSettings(defaultMaxPower: 7))
    }

    var context: OcppCallContext {
        OcppCallContext(
            chargePointId: Self.point, connectionId: "conn-1", messageId: "m-1", receivedAt: Harness.start,
            registration: OcppWorld.registration(), logger: Logger(label: "test"))
    }

    /// The ISO-8601 time `minutes` before the server clock.
    static func time(minutesAgo minutes: Double) -> OcppJSON {
        .string(Timestamp.format(milliseconds: Harness.start - Int64(minutes * 60_000)))
    }

    static func ms(minutesAgo minutes: Double) -> Int64 { Harness.start - Int64(minutes * 60_000) }

    /// An Accepted tag of `user`.
    static func tag(_ idTag: String, user: String, status: IdTagStatus = .accepted, expiry: Int64? = nil) -> IdTagRecord
    {
        IdTagRecord(idTag: idTag, userId: user, status: status, expiryDate: expiry, updatedAt: 0)
    }

    func authorize(_ idTag: String) async throws -> OcppJSON {
        try await AuthorizeAction(deps).handle(["idTag": .string(idTag)], context: context)
    }

    func start(
        connector: Int64 = 1, idTag: String, meterStart: Int64 = 0, minutesAgo: Double = 60
    ) async throws -> OcppJSON {
        try await StartTransactionAction(deps).handle(
            [
                "connectorId": .integer(connector), "idTag": .string(idTag), "meterStart": .integer(meterStart),
                "timestamp": Self.time(minutesAgo: minutesAgo),
            ], context: context)
    }

    /// One meter value: the register `value` (a string, as OCPP sends it) in `unit` at `minutesAgo`.
    static func sample(_ value: String, unit: String? = nil, minutesAgo: Double) -> OcppJSON {
        var sampled: [String: OcppJSON] = ["value": .string(value), "context": "Sample.Periodic"]
        if let unit { sampled["unit"] = .string(unit) }
        return ["timestamp": time(minutesAgo: minutesAgo), "sampledValue": [.object(sampled)]]
    }

    func meter(transactionId: Int64, connector: Int64 = 1, _ values: [OcppJSON]) async throws -> OcppJSON {
        try await MeterValuesAction(deps).handle(
            [
                "connectorId": .integer(connector), "transactionId": .integer(transactionId),
                "meterValue": .array(values),
            ], context: context)
    }

    func stop(
        transactionId: Int64, meterStop: Int64, minutesAgo: Double = 0, reason: String? = nil, idTag: String? = nil,
        data: [OcppJSON]? = nil
    ) async throws -> OcppJSON {
        var payload: [String: OcppJSON] = [
            "transactionId": .integer(transactionId), "meterStop": .integer(meterStop),
            "timestamp": Self.time(minutesAgo: minutesAgo),
        ]
        if let reason { payload["reason"] = .string(reason) }
        if let idTag { payload["idTag"] = .string(idTag) }
        if let data { payload["transactionData"] = .array(data) }
        return try await StopTransactionAction(deps).handle(.object(payload), context: context)
    }

    /// The session of a transaction id.
    func session(_ transactionId: Int64) async throws -> ChargingSession {
        try #require(await store.session(transactionId: transactionId))
    }
}

@Suite("OCPP transaction world")
struct OcppTransactionWorldTests {
    @Test("RemoteIdTag.forUser: R + 19 lowercase hex of SHA-256(userId), 20 characters, stable")
    func remoteIdTag() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223…
        let tag = RemoteIdTag.forUser("user-42")
        #expect(tag.count == 20)
        #expect(tag.hasPrefix("R"))
        #expect(tag.dropFirst().allSatisfy { "0123456789abcdef".contains($0) })
        #expect(tag == RemoteIdTag.forUser("user-42"))
        #expect(tag != RemoteIdTag.forUser("user-43"))
        #expect(RemoteIdTag.forUser("abc") == "R" + "ba7816bf8f01cfea414")
    }

    @Test("lock ids: the point for connector ≤ 1 or none, point/connector from 2 on")
    func lockIds() {
        #expect(ChargingSession.lockId(chargingPointId: "cp", connectorId: nil) == "cp")
        #expect(ChargingSession.lockId(chargingPointId: "cp", connectorId: 0) == "cp")
        #expect(ChargingSession.lockId(chargingPointId: "cp", connectorId: 1) == "cp")
        #expect(ChargingSession.lockId(chargingPointId: "cp", connectorId: 2) == "cp/2")
    }

    @Test("wire views show connectorId and transactionId of an OCPP session, and leave them out for the others")
    func wireView() throws {
        var session = Harness.session()
        let plain = String(
            decoding: try JSONCoding.encoder.encode(SessionView(session, now: Harness.start, tariff: Tariff())),
            as: UTF8.self)
        #expect(!plain.contains("connectorId") && !plain.contains("transactionId"))
        session.connectorId = 2
        session.transactionId = 1001
        let ocpp = String(
            decoding: try JSONCoding.encoder.encode(SessionView(session, now: Harness.start, tariff: Tariff())),
            as: UTF8.self)
        #expect(ocpp.contains(#""connectorId":2"#))
        #expect(ocpp.contains(#""transactionId":1001"#))
    }
}
