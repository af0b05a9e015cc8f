import ChargingCore
import ChargingCoreTesting
import Foundation
import Logging
import Testing

@Suite("Expiring idle sessions")
struct ExpireIdleTests {
    static let logger = Logger(label: "test")
    static let idle: Int64 = 15 * 60_000

    @Test("sessions without a sign of life for the idle time stop with Timeout, free their point and are published")
    func expires() async throws {
        // Started 30 minutes ago; "busy" had a meter value 5 minutes ago, "quiet" never had one.
        let harness = Harness([
            Harness.session("quiet", point: "cp-1"), Harness.session("busy", point: "cp-2"),
            Harness.session("over", point: "cp-3", status: .stopped),
        ])
        harness.clock.advance(minutes: -5)
        _ = await harness.store.applyMeterValue(
            sessionId: "busy", chargingPointId: "cp-2", energyWh: 100, seq: 1, receivedAt: Harness.start - 5 * 60_000)
        harness.clock.advance(minutes: 5)
        let service = harness.dependencies.service
        #expect(try await service.expireIdle(idleMilliseconds: Self.idle, limit: 100, logger: Self.logger) == 1)
        let quiet = try #require(await harness.store.session(id: "quiet"))
        #expect(quiet.status == .stopped)
        #expect(quiet.stopReason == .timeout)
        #expect(quiet.endTime == Harness.start)
        #expect(quiet.costCents == 500)
        #expect(await harness.store.session(id: "busy")?.status == .charging)
        #expect(try harness.updates.map(\.sessionId) == ["quiet"])
        #expect(try harness.updates.map(\.status) == ["Stopped"])
        // The point is free again.
        _ = try await service.start(
            StartRequest(userId: "u", vehicleId: "v", chargingPointId: "cp-1", maxPower: 11, targetCharge: 80),
            logger: Self.logger)
        // Nothing left to expire now; later the busy one goes too.
        #expect(try await service.expireIdle(idleMilliseconds: Self.idle, limit: 100, logger: Self.logger) == 0)
        harness.clock.advance(minutes: 11)
        #expect(try await service.expireIdle(idleMilliseconds: Self.idle, limit: 100, logger: Self.logger) == 1)
        #expect(await harness.store.session(id: "busy")?.stopReason == .timeout)
    }

    @Test("at most limit sessions per run, the longest idle first")
    func limit() async throws {
        let harness = Harness([
            Harness.session("a", point: "cp-1", startedMinutesAgo: 40),
            Harness.session("b", point: "cp-2", startedMinutesAgo: 60), Harness.session("c", point: "cp-3"),
        ])
        let service = harness.dependencies.service
        #expect(try await service.expireIdle(idleMilliseconds: Self.idle, limit: 2, logger: Self.logger) == 2)
        #expect(await harness.store.session(id: "c")?.status == .charging)
        #expect(try harness.updates.map(\.sessionId) == ["b", "a"])
    }

    @Test("a session revived or stopped after the query is left alone and not counted")
    func raced() async throws {
        let harness = Harness([Harness.session("revived", point: "cp-1"), Harness.session("stopped", point: "cp-2")])
        let snapshot = await harness.store.all
        _ = await harness.store.applyMeterValue(
            sessionId: "revived", chargingPointId: "cp-1", energyWh: 100, seq: 1, receivedAt: Harness.start)
        let service = harness.dependencies.service
        _ = try await service.stop(sessionId: "stopped", logger: Self.logger)
        let stale = harness.dependencies(store: StaleIdleStore(harness.store, snapshot: snapshot)).service
        #expect(try await stale.expireIdle(idleMilliseconds: Self.idle, limit: 100, logger: Self.logger) == 0)
        #expect(await harness.store.session(id: "revived")?.status == .charging)
        #expect(await harness.store.session(id: "stopped")?.stopReason == .requested)
    }
}
