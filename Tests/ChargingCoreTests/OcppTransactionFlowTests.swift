import ChargingCore
import ChargingCoreTesting
import ChargingWire
import Testing

@Suite("OCPP transactions: the whole flow")
struct OcppTransactionFlowTests {
    @Test("boot-less start → meter values in Wh and kWh, decimals, late and out of order → stop with transactionData")
    func wholeFlow() async throws {
        let world = TxWorld(idTags: [TxWorld.tag("CARD-1", user: "user-7")])
        let started = try await world.start(idTag: "CARD-1", meterStart: 100_000, minutesAgo: 60)
        #expect(started == ["transactionId": 1001, "idTagInfo": ["status": "Accepted"]])
        let begun = try await world.session(1001)
        #expect(begun.userId == "user-7")
        #expect(begun.vehicleId == "unknown")
        #expect(begun.connectorId == 1)
        #expect(begun.idTag == "CARD-1")
        #expect(begun.meterStartWh == 100_000)
        #expect(begun.maxPower == 22)
        #expect(begun.targetEnergyWh == 0)
        #expect(begun.startTime == TxWorld.ms(minutesAgo: 60))

        #expect(try await world.meter(transactionId: 1001, [TxWorld.sample("102500", minutesAgo: 50)]) == [:])
        #expect(try await world.session(1001).energyWh == 2500)
        _ = try await world.meter(transactionId: 1001, [TxWorld.sample("105.25", unit: "kWh", minutesAgo: 40)])
        #expect(try await world.session(1001).energyWh == 5250)
        // Queued while offline, sent late and out of order: applied in timestamp order.
        _ = try await world.meter(
            transactionId: 1001,
            [
                TxWorld.sample("110000.4", unit: "Wh", minutesAgo: 20),
                TxWorld.sample("107.5", unit: "kWh", minutesAgo: 30),
            ])
        var session = try await world.session(1001)
        #expect(session.energyWh == 10_000)
        #expect(session.lastMeterSeq == TxWorld.ms(minutesAgo: 20))
        // Older than what was applied: ignored.
        _ = try await world.meter(transactionId: 1001, [TxWorld.sample("108000", minutesAgo: 35)])
        #expect(try await world.session(1001).energyWh == 10_000)

        let stopped = try await world.stop(
            transactionId: 1001, meterStop: 112_000, minutesAgo: 5, reason: "EVDisconnected",
            data: [TxWorld.sample("111000", minutesAgo: 10)])
        #expect(stopped == [:])
        session = try await world.session(1001)
        #expect(session.status == .stopped)
        #expect(session.energyWh == 12_000)
        #expect(session.endTime == TxWorld.ms(minutesAgo: 5))
        #expect(session.stopReason == .evDisconnected)
        #expect(session.costCents == Tariff().costCents(energyWh: 12_000, minutes: 55))
        let updates = try world.harness.updates
        #expect(updates.map(\.status) == ["Charging", "Charging", "Charging", "Charging", "Stopped"])
        #expect(updates.last?.energyConsumed == 12)
        // The connector is free again.
        #expect(await world.store.chargingSession(chargingPointId: TxWorld.point, connectorId: 1) == nil)
    }

    @Test("a REST-started pending session gets the transactionId; its target sends RemoteStopTransaction once")
    func restStarted() async throws {
        let pending = ChargingSession(
            sessionId: "s-rest", chargingPointId: TxWorld.point, userId: "user-9", vehicleId: "vehicle-9",
            startTime: TxWorld.ms(minutesAgo: 61), maxPower: 11, targetCharge: 80, targetEnergyWh: 3000,
            currency: "EUR", tariff: Tariff(), connectorId: 1, idTag: "RTAG-9")
        let world = TxWorld(sessions: [pending])
        #expect(try await world.authorize("RTAG-9") == ["idTagInfo": ["status": "Accepted"]])
        let started = try await world.start(idTag: "RTAG-9", meterStart: 500, minutesAgo: 60)
        #expect(started == ["transactionId": 1001, "idTagInfo": ["status": "Accepted"]])
        let attached = try await world.session(1001)
        #expect(attached.sessionId == "s-rest")
        #expect(attached.meterStartWh == 500)
        #expect(attached.targetEnergyWh == 3000)
        #expect(await world.store.all.count == 1)

        _ = try await world.meter(transactionId: 1001, [TxWorld.sample("2000", minutesAgo: 50)])
        #expect(world.calls.calls.isEmpty)
        _ = try await world.meter(transactionId: 1001, [TxWorld.sample("3600", minutesAgo: 40)])
        _ = try await world.meter(transactionId: 1001, [TxWorld.sample("4000", minutesAgo: 30)])
        let calls = world.calls.calls
        #expect(calls.count == 1)
        #expect(calls.first?.action == "RemoteStopTransaction")
        #expect(calls.first?.payload == ["transactionId": 1001])
        #expect(calls.first?.awaited == false)
        // It stays Charging until the charger's StopTransaction.
        #expect(try await world.session(1001).status == .charging)
        _ = try await world.stop(transactionId: 1001, meterStop: 4100, reason: "Remote")
        let final = try await world.session(1001)
        #expect(final.status == .stopped)
        #expect(final.stopReason == .remote)
        #expect(final.energyWh == 3600)
    }

    @Test("the same StartTransaction sent twice (reply lost) gets the same transaction")
    func repeatedStart() async throws {
        let world = TxWorld(idTags: [TxWorld.tag("CARD-1", user: "user-7")])
        _ = try await world.start(idTag: "CARD-1", meterStart: 10, minutesAgo: 30)
        let again = try await world.start(idTag: "CARD-1", meterStart: 10, minutesAgo: 30)
        #expect(again == ["transactionId": 1001, "idTagInfo": ["status": "Accepted"]])
        #expect(await world.store.all.count == 1)
    }

    @Test("StopTransaction of an unknown or stopped transaction still answers, with idTagInfo when given")
    func unknownStop() async throws {
        let world = TxWorld(idTags: [TxWorld.tag("CARD-1", user: "user-7")])
        #expect(try await world.stop(transactionId: 999, meterStop: 10) == [:])
        #expect(
            try await world.stop(transactionId: 999, meterStop: 10, idTag: "CARD-1")
                == ["idTagInfo": ["status": "Accepted"]])
        _ = try await world.start(idTag: "CARD-1", meterStart: 0, minutesAgo: 30)
        _ = try await world.stop(transactionId: 1001, meterStop: 1000, minutesAgo: 10)
        let stopped = try await world.session(1001)
        #expect(stopped.stopReason == .local)
        let published = world.harness.publisher.messages.count
        #expect(try await world.stop(transactionId: 1001, meterStop: 5000, minutesAgo: 1) == [:])
        #expect(try await world.session(1001) == stopped)
        #expect(world.harness.publisher.messages.count == published)
    }
}
