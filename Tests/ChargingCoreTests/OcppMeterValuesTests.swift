import ChargingCore
import ChargingCoreTesting
import ChargingWire
import Testing

@Suite("OCPP MeterValues")
struct OcppMeterValuesTests {
    @Test("an impossible register value is rejected, counted and reported as RejectedReadings; the others apply")
    func plausibility() async throws {
        let world = TxWorld(idTags: [TxWorld.tag("CARD-1", user: "user-7")])
        // Connector 2 delivers at most 11 kW: 10 minutes allow about 2 kWh.
        _ = try await world.start(connector: 2, idTag: "CARD-1", meterStart: 1000, minutesAgo: 10)
        _ = try await world.meter(
            transactionId: 1001, connector: 2,
            [TxWorld.sample("1500", minutesAgo: 8), TxWorld.sample("50", unit: "kWh", minutesAgo: 5)])
        let session = try await world.session(1001)
        #expect(session.energyWh == 500)
        #expect(session.rejectedReadings == 1)
        #expect(world.harness.metrics.total(ChargingService.rejectedReadingsMetric) == 1)
    }

    @Test("other measurands, phases, units and signed data are skipped; a register below meterStart is 0 Wh")
    func whatCounts() async throws {
        let world = TxWorld(idTags: [TxWorld.tag("CARD-1", user: "user-7")])
        _ = try await world.start(idTag: "CARD-1", meterStart: 5000, minutesAgo: 30)
        let mixed: OcppJSON = [
            "timestamp": TxWorld.time(minutesAgo: 20),
            "sampledValue": [
                ["value": "7000", "measurand": "Power.Active.Import", "unit": "W"],
                ["value": "9000", "phase": "L1"],
                ["value": "9", "unit": "kvarh"],
                ["value": "ab12", "format": "SignedData"],
                ["value": "6200.7", "measurand": "Energy.Active.Import.Register", "context": "Sample.Clock"],
            ],
        ]
        _ = try await world.meter(transactionId: 1001, [mixed])
        #expect(try await world.session(1001).energyWh == 1201)
        _ = try await world.meter(transactionId: 1001, [TxWorld.sample("100", minutesAgo: 10)])
        let session = try await world.session(1001)
        #expect(session.energyWh == 1201)
        #expect(session.rejectedReadings == 0)
    }

    @Test("meter values of an unknown transaction, or of another charger's, change nothing")
    func unknownTransaction() async throws {
        let world = TxWorld()
        #expect(try await world.meter(transactionId: 77, [TxWorld.sample("100", minutesAgo: 1)]) == [:])
        #expect(await world.store.writeCount == 0)
        #expect(world.harness.publisher.messages.isEmpty)
    }
}
