import ChargingCore
import ChargingCoreTesting
import Synchronization

/// A ``SessionStore`` over an ``InMemorySessionStore`` that forwards every call it does not override.
protocol WrappingStore: SessionStore {
    var base: InMemorySessionStore { get }
}

extension WrappingStore {
    func insert(_ session: ChargingSession) async throws { try await base.insert(session) }
    func session(id: String) async throws -> ChargingSession? { await base.session(id: id) }
    func list(_ query: SessionQuery) async throws -> SessionPage { await base.list(query) }
    func current(chargingPointId: String?, userId: String?) async throws -> ChargingSession? {
        await base.current(chargingPointId: chargingPointId, userId: userId)
    }
    func complete(_ stopped: ChargingSession, expectedEnergyWh: Int64) async throws -> Bool {
        await base.complete(stopped, expectedEnergyWh: expectedEnergyWh)
    }
    func applyMeterValue(
        sessionId: String, chargingPointId: String, energyWh: Int64, seq: Int64, receivedAt: Int64
    ) async throws -> ChargingSession? {
        await base.applyMeterValue(
            sessionId: sessionId, chargingPointId: chargingPointId, energyWh: energyWh, seq: seq,
            receivedAt: receivedAt)
    }
    func countRejectedReadings(sessionId: String, chargingPointId: String, count: Int64) async throws {
        await base.countRejectedReadings(sessionId: sessionId, chargingPointId: chargingPointId, count: count)
    }
    func idleSessions(before cutoff: Int64, limit: Int) async throws -> [ChargingSession] {
        await base.idleSessions(before: cutoff, limit: limit)
    }
    func chargingSession(chargingPointId: String, connectorId: Int) async throws -> ChargingSession? {
        await base.chargingSession(chargingPointId: chargingPointId, connectorId: connectorId)
    }
    func attachTransaction(
        sessionId: String, transactionId: Int64, meterStartWh: Int64, idTag: String
    ) async throws -> Bool {
        await base.attachTransaction(
            sessionId: sessionId, transactionId: transactionId, meterStartWh: meterStartWh, idTag: idTag)
    }
    func session(transactionId: Int64) async throws -> ChargingSession? {
        await base.session(transactionId: transactionId)
    }
    func pendingRemoteStarts(before cutoff: Int64, limit: Int) async throws -> [ChargingSession] {
        await base.pendingRemoteStarts(before: cutoff, limit: limit)
    }
}

/// An ``InMemorySessionStore`` whose meter writes throw for some sessions, and whose stops can be made to throw.
final class FlakyStore: WrappingStore {
    let base: InMemorySessionStore
    let failingSessions: Set<String>
    let failingStops = Mutex(0)

    init(_ base: InMemorySessionStore, failingSessions: Set<String> = [], failingStops: Int = 0) {
        self.base = base
        self.failingSessions = failingSessions
        self.failingStops.withLock { $0 = failingStops }
    }

    struct Unavailable: Error {}

    func complete(_ stopped: ChargingSession, expectedEnergyWh: Int64) async throws -> Bool {
        let fail = failingStops.withLock { remaining in
            defer { remaining = max(0, remaining - 1) }
            return remaining > 0
        }
        if fail { throw Unavailable() }
        return await base.complete(stopped, expectedEnergyWh: expectedEnergyWh)
    }

    func applyMeterValue(
        sessionId: String, chargingPointId: String, energyWh: Int64, seq: Int64, receivedAt: Int64
    ) async throws
        -> ChargingSession?
    {
        if failingSessions.contains(sessionId) { throw Unavailable() }
        return await base.applyMeterValue(
            sessionId: sessionId, chargingPointId: chargingPointId, energyWh: energyWh, seq: seq,
            receivedAt: receivedAt)
    }
}

/// A store whose `idleSessions` answers from a snapshot taken before the test changes the sessions, as a query
/// that ran just before a meter value or a stop arrived would.
final class StaleIdleStore: WrappingStore {
    let base: InMemorySessionStore
    let snapshot: [ChargingSession]

    init(_ base: InMemorySessionStore, snapshot: [ChargingSession]) {
        self.base = base
        self.snapshot = snapshot
    }

    func idleSessions(before cutoff: Int64, limit: Int) async throws -> [ChargingSession] { snapshot }
}

/// A store that records the arguments of every `current` look-up (how many and which scope).
final class QueryRecordingStore: WrappingStore {
    struct Current: Hashable {
        let chargingPointId: String?
        let userId: String?
    }

    let base: InMemorySessionStore
    private let calls = Mutex<[Current]>([])

    init(base: InMemorySessionStore) { self.base = base }

    var currentCalls: [Current] { calls.withLock { $0 } }

    func current(chargingPointId: String?, userId: String?) async throws -> ChargingSession? {
        calls.withLock { $0.append(Current(chargingPointId: chargingPointId, userId: userId)) }
        return await base.current(chargingPointId: chargingPointId, userId: userId)
    }
}
