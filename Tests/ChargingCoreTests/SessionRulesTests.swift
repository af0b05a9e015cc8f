import BSON
import ChargingCoreTesting
import Foundation
import FunctionRuntime
import Logging
import Testing

@testable import ChargingCore

/// The tariff is fixed at the start; an MQTT stop must name the right point; an auto-stop survives retries.
@Suite("Session rules")
struct SessionRulesTests {
    static let logger = Logger(label: "test")
    static let request = StartRequest(
        userId: "u", vehicleId: "v", chargingPointId: "cp-1", maxPower: 11, targetCharge: 80)

    @Test("the tariff in force at the start prices the session, even after a redeploy with new prices")
    func tariffAtStart() async throws {
        var harness = Harness()
        let (started, _) = try await harness.dependencies.service.start(Self.request, logger: Self.logger)
        #expect(started.tariff == Tariff())
        _ = await harness.store.applyMeterValue(
            sessionId: started.sessionId, chargingPointId: "cp-1", energyWh: 10_000, seq: 1, receivedAt: Harness.start)
        // New prices in the environment (a redeploy): per kWh 0.80, fee 1.00, CHF.
        harness.tariff = Tariff(perKWh: 0.80, sessionFee: 1.00, perMinute: 0.10, currency: "CHF")
        harness.clock.advance(minutes: 10)
        let running = try await harness.respond(GetStatusHandler(harness.dependencies), Fixture.request("status"))
        #expect(try json(running)["cost"] as? Double == 10)
        #expect(try json(running)["currency"] as? String == "EUR")
        let outcome = try await harness.dependencies.service.stop(sessionId: started.sessionId, logger: Self.logger)
        // 10 kWh × 0.50 + 5.00 fee, in EUR: the start's tariff.
        #expect(outcome.session.costCents == 1000)
        #expect(outcome.session.currency == "EUR")
    }

    @Test("a stored session without a tariff (written before evcsm kept it) is priced with the current tariff")
    func oldDocumentFallsBack() async throws {
        var document = DataAPISessionStore.document(Harness.session(energyWh: 10_000))
        #expect(document["tariff"] == .null)
        document["tariff"] = nil
        let old = try #require(DataAPISessionStore.session(from: document) as ChargingSession?)
        #expect(old.tariff == nil)
        var harness = Harness([old])
        harness.tariff = Tariff(perKWh: 0.80, sessionFee: 1.00, perMinute: 0, currency: "CHF")
        let outcome = try await harness.dependencies.service.stop(sessionId: old.sessionId, logger: Self.logger)
        #expect(outcome.session.costCents == 900)
        #expect(outcome.session.currency == "CHF")
    }

    @Test("the stored document keeps the tariff, lastReadingAt, lastActivity and rejectedReadings")
    func storedFields() throws {
        var session = Harness.session(energyWh: 1200)
        session.tariff = Tariff(perKWh: 0.42, sessionFee: 1.5, perMinute: 0.01, currency: "CHF")
        session.lastReadingAt = Harness.start
        session.rejectedReadings = 3
        let document = DataAPISessionStore.document(session)
        #expect(
            document["tariff"]
                == ["perKWh": .double(0.42), "sessionFee": .double(1.5), "perMinute": .double(0.01), "currency": "CHF"])
        #expect(document["lastReadingAt"] == .datetime(Harness.start))
        #expect(document["lastActivity"] == .datetime(Harness.start))
        #expect(document["rejectedReadings"] == .int64(3))
        #expect(DataAPISessionStore.session(from: document) == session)
        // Before the first reading the activity is the start.
        let fresh = DataAPISessionStore.document(Harness.session())
        #expect(fresh["lastReadingAt"] == .null)
        #expect(fresh["lastActivity"] == .datetime(Harness.start - 30 * 60_000))
        // A damaged tariff falls back to the current one rather than making the session unreadable.
        var damaged = document
        damaged["tariff"] = ["perKWh": "free", "currency": "CHF"]
        #expect(DataAPISessionStore.session(from: damaged)?.tariff == nil)
    }

    @Test("an MQTT Stopped naming a session on another charging point is dropped")
    func stopOnOtherPoint() async throws {
        let harness = Harness([Harness.session(point: "cp-1")])
        var message = try Fixture.message("stopped-plain")
        message.payload = Array(
            #"{"status":"Stopped","sessionId":"\#(Harness.fixtureSessionID)","chargingPointId":"cp-2"}"#.utf8)
        try await harness.deliver(ChargingUpdatesHandler(harness.dependencies), message)
        #expect(try await harness.fixtureSession.status == .charging)
        #expect(await harness.store.writeCount == 0)
        #expect(harness.publisher.messages.isEmpty)
        message.payload = Array(
            #"{"status":"Stopped","sessionId":"\#(Harness.fixtureSessionID)","chargingPointId":"cp-1"}"#.utf8)
        try await harness.deliver(ChargingUpdatesHandler(harness.dependencies), message)
        #expect(try await harness.fixtureSession.status == .stopped)
    }

    @Test("an MQTT Stopped with only a sessionId still stops it on its own point")
    func stopBySessionOnly() async throws {
        var harness = Harness([Harness.session(point: "cp-7")])
        harness.defaults = ChargingDefaults(chargingPointId: "cp-1")
        var message = try Fixture.message("stopped-plain")
        message.payload = Array(#"{"status":"Stopped","sessionId":"\#(Harness.fixtureSessionID)"}"#.utf8)
        try await harness.deliver(ChargingUpdatesHandler(harness.dependencies), message)
        #expect(try await harness.fixtureSession.status == .stopped)
    }
}

@Suite("Auto-stop at the target survives retries")
struct AutoStopRetryTests {
    func batch(_ payloads: [String]) throws -> SQSEvent {
        SQSEvent(
            records: try payloads.enumerated().map { index, payload in
                try Fixture.queueMessage(
                    TopicMessage(topic: "chargers/cp-1/meter", payload: Array(payload.utf8), timestamp: Harness.start),
                    id: "x\(index)")
            })
    }

    @Test("a failed stop is completed by the next batch's reading: one stop, one publish, cost once")
    func nextBatchStops() async throws {
        let harness = Harness([Harness.session(targetEnergyWh: 5000)])
        let flaky = FlakyStore(harness.store, failingStops: 1)
        let handler = MeterValuesHandler(harness.dependencies(store: flaky))
        let first = try await handler.handle(try batch([Harness.reading("5200", seq: "1")]), context: .local())
        #expect(first.batchItemFailures.count == 1)
        #expect(try await harness.fixtureSession.status == .charging)
        // The queue has not redelivered yet; the charger's next reading arrives (lower energy, a glitch).
        let next = try await handler.handle(try batch([Harness.reading("5100", seq: "2")]), context: .local())
        #expect(next.batchItemFailures.isEmpty)
        let stopped = try await harness.fixtureSession
        #expect(stopped.status == .stopped)
        #expect(stopped.stopReason == .targetReached)
        #expect(stopped.energyWh == 5200)
        // Then the redelivery of the first batch, and a late reading: nothing changes, nothing is published again.
        let retry = try await handler.handle(try batch([Harness.reading("5200", seq: "1")]), context: .local())
        let late = try await handler.handle(try batch([Harness.reading("5300", seq: "3")]), context: .local())
        #expect(retry.batchItemFailures.isEmpty && late.batchItemFailures.isEmpty)
        #expect(try await harness.fixtureSession == stopped)
        #expect(try harness.updates.map(\.status) == ["Stopped"])
    }

    @Test("a stop failing several times is retried until it happens; every retry before is reported")
    func repeatedFailures() async throws {
        let harness = Harness([Harness.session(targetEnergyWh: 5000)])
        // The store refuses the stop on two whole deliveries.
        let flaky = FlakyStore(harness.store, failingStops: 2)
        let handler = MeterValuesHandler(harness.dependencies(store: flaky))
        let event = try batch([Harness.reading("4000", seq: "1"), Harness.reading("5600", seq: "2")])
        #expect(try await handler.handle(event, context: .local()).batchItemFailures.count == 2)
        #expect(try await handler.handle(event, context: .local()).batchItemFailures.count == 2)
        #expect(try await handler.handle(event, context: .local()).batchItemFailures.isEmpty)
        let session = try await harness.fixtureSession
        #expect(session.status == .stopped)
        #expect(session.energyWh == 5600)
        #expect(session.costCents == 780)
        #expect(try harness.updates.map(\.status) == ["Stopped"])
    }
}
