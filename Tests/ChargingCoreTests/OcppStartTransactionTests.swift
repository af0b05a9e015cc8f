import ChargingCore
import ChargingCoreTesting
import ChargingWire
import Essentials
import Logging
import Testing

@Suite("OCPP StartTransaction and Authorize")
struct OcppStartTransactionTests {
    static let expired = TxWorld.ms(minutesAgo: 120)

    @Test(
        "a refused tag is still stored with a transactionId and told why",
        arguments: [
            ("BLOCKED-1", "Blocked", "user-b"), ("EXPIRED-1", "Expired", "user-e"), ("LAPSED-1", "Expired", "user-l"),
            ("NOBODY-1", "Invalid", "idtag:NOBODY-1"),
        ])
    func refusedStillStored(idTag: String, status: String, userId: String) async throws {
        let world = TxWorld(idTags: [
            TxWorld.tag("BLOCKED-1", user: "user-b", status: .blocked),
            TxWorld.tag("EXPIRED-1", user: "user-e", status: .expired),
            TxWorld.tag("LAPSED-1", user: "user-l", expiry: Self.expired),
        ])
        let answer = try await world.start(idTag: idTag, meterStart: 0, minutesAgo: 10)
        #expect(answer["transactionId"] == 1001)
        #expect(answer["idTagInfo"]?["status"]?.stringValue == status)
        let session = try await world.session(1001)
        #expect(session.status == .charging)
        #expect(session.userId == userId)
        #expect(session.idTag == idTag)
    }

    @Test("an Accepted tag already charging in another OCPP session is ConcurrentTx (and still stored)")
    func concurrentTx() async throws {
        let world = TxWorld(idTags: [TxWorld.tag("CARD-1", user: "user-7")])
        _ = try await world.start(connector: 1, idTag: "CARD-1", minutesAgo: 20)
        let second = try await world.start(connector: 2, idTag: "CARD-1", minutesAgo: 10)
        #expect(second == ["transactionId": 1002, "idTagInfo": ["status": "ConcurrentTx"]])
        #expect(try await world.session(1001).status == .charging)
        #expect(try await world.session(1002).status == .charging)
    }

    @Test("two connectors charge at once; a new transaction on a busy connector stops the old one with Other")
    func perConnector() async throws {
        let world = TxWorld(idTags: [
            TxWorld.tag("CARD-A", user: "user-a"), TxWorld.tag("CARD-B", user: "user-b"),
            TxWorld.tag("CARD-C", user: "user-c"),
        ])
        _ = try await world.start(connector: 1, idTag: "CARD-A", minutesAgo: 30)
        _ = try await world.start(connector: 2, idTag: "CARD-B", minutesAgo: 25)
        let one = await world.store.chargingSession(chargingPointId: TxWorld.point, connectorId: 1)
        let two = await world.store.chargingSession(chargingPointId: TxWorld.point, connectorId: 2)
        #expect(one?.transactionId == 1001)
        #expect(two?.transactionId == 1002)
        #expect(two?.maxPower == 11)

        let third = try await world.start(connector: 1, idTag: "CARD-C", minutesAgo: 5)
        #expect(third["transactionId"] == 1003)
        let old = try await world.session(1001)
        #expect(old.status == .stopped)
        #expect(old.stopReason == .other)
        #expect(old.endTime == TxWorld.ms(minutesAgo: 5))
        let current = await world.store.chargingSession(chargingPointId: TxWorld.point, connectorId: 1)
        #expect(current?.transactionId == 1003)
        #expect(try await world.session(1002).status == .charging)
    }

    @Test("an unregistered connector charges at OCPP_DEFAULT_MAX_POWER")
    func defaultMaxPower() async throws {
        let world = TxWorld()
        _ = try await world.start(connector: 3, idTag: "ANY", minutesAgo: 5)
        #expect(try await world.session(1001).maxPower == 7)
    }

    @Test("Authorize: Accepted with expiryDate, Expired past it, Blocked as stored, unknown Invalid")
    func authorize() async throws {
        let future = TxWorld.ms(minutesAgo: -600)
        let world = TxWorld(idTags: [
            TxWorld.tag("CARD-1", user: "user-7", expiry: future),
            TxWorld.tag("OLD-1", user: "u", expiry: Self.expired),
            TxWorld.tag("BLOCKED-1", user: "u", status: .blocked),
        ])
        #expect(
            try await world.authorize("CARD-1")
                == ["idTagInfo": ["status": "Accepted", "expiryDate": .string(Timestamp.format(milliseconds: future))]])
        #expect(try await world.authorize("OLD-1")["idTagInfo"]?["status"] == "Expired")
        #expect(try await world.authorize("BLOCKED-1")["idTagInfo"]?["status"] == "Blocked")
        #expect(try await world.authorize("NOBODY") == ["idTagInfo": ["status": "Invalid"]])
    }

    @Test("idle expiry leaves OCPP sessions alone (the charger reports their end)")
    func idleExpirySkipsOcpp() async throws {
        let world = TxWorld(
            sessions: [Harness.session("s-mqtt", point: "cp-1", startedMinutesAgo: 90)],
            idTags: [TxWorld.tag("CARD-1", user: "user-7")])
        _ = try await world.start(idTag: "CARD-1", minutesAgo: 90)
        let expired = try await world.harness.dependencies.service.expireIdle(
            idleMilliseconds: 30 * 60_000, limit: 10, logger: Logger(label: "test"))
        #expect(expired == 1)
        #expect(await world.store.session(id: "s-mqtt")?.stopReason == .timeout)
        #expect(try await world.session(1001).status == .charging)
    }

    @Test("pending remote starts: Charging OCPP sessions without transactionId that started before the cutoff")
    func pendingRemoteStarts() async throws {
        func pending(_ id: String, connector: Int, minutesAgo: Int64) -> ChargingSession {
            ChargingSession(
                sessionId: id, chargingPointId: TxWorld.point, userId: "u", vehicleId: "v",
                startTime: Harness.start - minutesAgo * 60_000, maxPower: 11, targetCharge: 80,
                targetEnergyWh: 1000, currency: "EUR", connectorId: connector, idTag: "T")
        }
        let world = TxWorld(sessions: [
            pending("p-old", connector: 1, minutesAgo: 10), pending("p-new", connector: 2, minutesAgo: 1),
            Harness.session("s-mqtt", point: "cp-1", startedMinutesAgo: 30),
        ])
        let found = await world.store.pendingRemoteStarts(before: Harness.start - 5 * 60_000, limit: 10)
        #expect(found.map(\.sessionId) == ["p-old"])
        _ = try await world.start(connector: 1, idTag: "T", minutesAgo: 9)
        #expect(
            await world.store.pendingRemoteStarts(before: Harness.start, limit: 10).map(\.sessionId) == ["p-new"])
    }
}
