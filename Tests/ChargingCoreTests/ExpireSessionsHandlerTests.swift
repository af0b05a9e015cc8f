import ChargingCore
import ChargingCoreTesting
import ChargingWire
import Foundation
import FunctionRuntime
import Testing

/// A store whose every call fails, as when the Data API is unreachable.
private struct UnreachableStore: SessionStore {
    struct Unreachable: Error {}

    func insert(_ session: ChargingSession) async throws { throw Unreachable() }
    func session(id: String) async throws -> ChargingSession? { throw Unreachable() }
    func complete(_ stopped: ChargingSession, expectedEnergyWh: Int64) async throws -> Bool { throw Unreachable() }
    func applyMeterValue(
        sessionId: String, chargingPointId: String, energyWh: Int64, seq: Int64, receivedAt: Int64
    ) async throws -> ChargingSession? { throw Unreachable() }
    func countRejectedReadings(sessionId: String, chargingPointId: String, count: Int64) async throws {
        throw Unreachable()
    }
    func idleSessions(before cutoff: Int64, limit: Int) async throws -> [ChargingSession] { throw Unreachable() }
    func list(_ query: SessionQuery) async throws -> SessionPage { throw Unreachable() }
    func current(chargingPointId: String?, userId: String?) async throws -> ChargingSession? { throw Unreachable() }
    func chargingSession(chargingPointId: String, connectorId: Int) async throws -> ChargingSession? {
        throw Unreachable()
    }
    func attachTransaction(
        sessionId: String, transactionId: Int64, meterStartWh: Int64, idTag: String
    ) async throws -> Bool { throw Unreachable() }
    func session(transactionId: Int64) async throws -> ChargingSession? { throw Unreachable() }
    func pendingRemoteStarts(before cutoff: Int64, limit: Int) async throws -> [ChargingSession] {
        throw Unreachable()
    }
}

@Suite("ExpireSessions (schedule)")
struct ExpireSessionsHandlerTests {
    static let event = ScheduledEvent(
        id: "e-1", account: "123456789012", time: "2026-11-26T11:10:00Z", region: "eu-central-1",
        resources: ["arn:aws:events:eu-central-1:123456789012:rule/evcsm-ExpireSessionsEvery"])

    @Test("a silent session past the idle timeout stops with Timeout, frees its point, and is published")
    func expiresSilentSessions() async throws {
        // cp-1 started 31 minutes ago and never sent a reading; cp-2 started 10 minutes ago.
        let harness = Harness([
            Harness.session("s-old", point: "cp-1", startedMinutesAgo: 31),
            Harness.session("s-new", point: "cp-2", startedMinutesAgo: 10),
        ])
        let handler = ExpireSessionsHandler(
            harness.dependencies, configuration: .init(idleMilliseconds: 30 * 60_000, limit: 500))
        _ = try await ScheduledFunctionAdapter(handler).invoke(
            Array(try JSONCoding.encoder.encode(Self.event)), context: .local())

        let old = try #require(await harness.store.session(id: "s-old"))
        #expect(old.status == .stopped)
        #expect(old.stopReason == .timeout)
        #expect(old.endTime == Harness.start)
        #expect(await harness.store.session(id: "s-new")?.status == .charging)
        let updates = try harness.updates
        #expect(updates.map(\.sessionId) == ["s-old"])
        #expect(updates.first?.status == "Stopped")
        // The point is free again: a new start on cp-1 succeeds.
        let service = harness.dependencies.service
        let (started, _) = try await service.start(
            StartRequest(userId: "u", vehicleId: "v", chargingPointId: "cp-1", maxPower: 11, targetCharge: 80),
            logger: .init(label: "test"))
        #expect(started.chargingPointId == "cp-1")
    }

    @Test("the clock moving past the timeout is what expires a session (FixedClock)")
    func followsTheClock() async throws {
        let harness = Harness([Harness.session("s-1", startedMinutesAgo: 0)])
        let handler = ExpireSessionsHandler(
            harness.dependencies, configuration: .init(idleMilliseconds: 5 * 60_000, limit: 500))
        _ = try await handler.handle(Self.event, context: .local())
        #expect(await harness.store.session(id: "s-1")?.status == .charging)
        harness.clock.advance(minutes: 5, seconds: 1)
        _ = try await handler.handle(Self.event, context: .local())
        #expect(await harness.store.session(id: "s-1")?.stopReason == .timeout)
    }

    @Test("at most EXPIRE_BATCH_LIMIT sessions per run, oldest first; the next run takes the rest")
    func respectsTheLimit() async throws {
        let harness = Harness(
            (0..<5).map { Harness.session("s-\($0)", point: "cp-\($0)", startedMinutesAgo: Int64(60 + $0)) })
        let handler = ExpireSessionsHandler(
            harness.dependencies, configuration: .init(idleMilliseconds: 30 * 60_000, limit: 2))
        _ = try await handler.handle(Self.event, context: .local())
        #expect(try harness.updates.map(\.sessionId) == ["s-4", "s-3"])
        _ = try await handler.handle(Self.event, context: .local())
        _ = try await handler.handle(Self.event, context: .local())
        #expect(try harness.updates.count == 5)
    }

    @Test("a store failure throws (Lambda retries the run) and publishes nothing")
    func storeFailureThrows() async throws {
        let publisher = RecordingPublisher()
        let handler = ExpireSessionsHandler(
            FunctionDependencies(store: UnreachableStore(), publisher: publisher, clock: FixedClock(milliseconds: 0)))
        await #expect(throws: UnreachableStore.Unreachable.self) {
            _ = try await handler.handle(Self.event, context: .local())
        }
        #expect(publisher.messages.isEmpty)
    }

    @Test("configuration: defaults, decimals for tests, and clear errors for bad values")
    func configuration() throws {
        let defaults = try ExpireSessionsHandler.Configuration.fromEnvironment(FunctionEnvironment([:]))
        #expect(defaults == .init(idleMilliseconds: 1_800_000, limit: 500))
        let quick = try ExpireSessionsHandler.Configuration.fromEnvironment(
            FunctionEnvironment(["SESSION_IDLE_TIMEOUT_MINUTES": "0.05", "EXPIRE_BATCH_LIMIT": "10"]))
        #expect(quick == .init(idleMilliseconds: 3000, limit: 10))
        let bad: [([String: String], String)] = [
            (["SESSION_IDLE_TIMEOUT_MINUTES": "soon"], "SESSION_IDLE_TIMEOUT_MINUTES is not a number"),
            (["SESSION_IDLE_TIMEOUT_MINUTES": "0"], "SESSION_IDLE_TIMEOUT_MINUTES must be"),
            (["SESSION_IDLE_TIMEOUT_MINUTES": "-5"], "SESSION_IDLE_TIMEOUT_MINUTES must be"),
            (["SESSION_IDLE_TIMEOUT_MINUTES": "20000"], "SESSION_IDLE_TIMEOUT_MINUTES must be"),
            (["EXPIRE_BATCH_LIMIT": "many"], "EXPIRE_BATCH_LIMIT is not an integer"),
            (["EXPIRE_BATCH_LIMIT": "0"], "EXPIRE_BATCH_LIMIT must be an integer from 1 to 10000"),
        ]
        for (values, expected) in bad {
            let error = try #require(throws: FunctionRuntimeError.self) {
                try ExpireSessionsHandler.Configuration.fromEnvironment(FunctionEnvironment(values))
            }
            #expect(error.code == .invalidEnvironment)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }
}
