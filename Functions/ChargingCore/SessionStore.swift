#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where sessions live. Implementations enforce "at most one `Charging` session per charging point"
/// atomically and make meter values monotonic; the state machine itself is in ``ChargingService``.
public protocol SessionStore: Sendable {
    /// Stores a new `Charging` session after claiming its charging point.
    /// Throws ``ChargingError`` `.chargingPointBusy` when the point already has a `Charging` session.
    func insert(_ session: ChargingSession) async throws

    /// The session with this id, or nil.
    func session(id: String) async throws -> ChargingSession?

    /// Replaces a `Charging` session by its stopped form and releases its charging point, but only while the
    /// stored session is still `Charging` with exactly `expectedEnergyWh` (compare-and-set, so a meter value
    /// that arrives meanwhile is never lost from the bill). Returns false when the stored session changed.
    func complete(_ stopped: ChargingSession, expectedEnergyWh: Int64) async throws -> Bool

    /// Applies a meter reading that arrived at `receivedAt` (server ms) to a `Charging` session on
    /// `chargingPointId` if `seq` is newer than every applied one: `energyWh` becomes `max(stored, energyWh)`,
    /// `lastMeterSeq` becomes `seq`, `lastReadingAt` becomes `receivedAt` and `lastActivity` the later of itself
    /// and `receivedAt`. Returns the updated session, or nil when nothing was applied (duplicate or out-of-order
    /// `seq`, unknown or stopped session, other charging point).
    func applyMeterValue(
        sessionId: String, chargingPointId: String, energyWh: Int64, seq: Int64, receivedAt: Int64
    ) async throws
        -> ChargingSession?

    /// Applies several meter values, each as ``applyMeterValue(sessionId:chargingPointId:energyWh:seq:receivedAt:)``
    /// does and each on its own (a failed one leaves the others as they are): one result per write, in order. The
    /// default applies them one by one; ``DataAPISessionStore`` sends them in one `bulkWrite` and reads the changed
    /// sessions back with one `find`.
    func applyMeterValues(_ writes: [MeterValueWrite]) async -> [MeterWriteResult]

    /// The stored sessions with these ids, by id (unknown ids are left out). The default reads them one by one;
    /// ``DataAPISessionStore`` with one `find`.
    func sessions(ids: [String]) async throws -> [String: ChargingSession]

    /// Adds `count` to `rejectedReadings` of the session when it is on `chargingPointId` (any status).
    func countRejectedReadings(sessionId: String, chargingPointId: String, count: Int64) async throws

    /// `Charging` sessions whose `lastActivity` is before `cutoff` (ms), oldest activity first, at most `limit`:
    /// one indexed range on `(status, lastActivity, _id)`. OCPP sessions (`connectorId` set) are left out: the
    /// charger reports their end (StopTransaction).
    func idleSessions(before cutoff: Int64, limit: Int) async throws -> [ChargingSession]

    /// Sessions matching `query`, newest first (by start time, then session id), at most `query.limit`,
    /// with a cursor for the next page when there are more.
    func list(_ query: SessionQuery) async throws -> SessionPage

    /// The `Charging` session of `chargingPointId` (of any point when nil) and of `userId` (of any user when nil) if
    /// there is one, otherwise the newest such session, whatever order the sessions were written in: one look-up.
    func current(chargingPointId: String?, userId: String?) async throws -> ChargingSession?

    // MARK: OCPP

    /// The `Charging` session holding the lock of connector `connectorId` of `chargingPointId`
    /// (``ChargingSession/lockId(chargingPointId:connectorId:)``); nil when the connector is free.
    func chargingSession(chargingPointId: String, connectorId: Int) async throws -> ChargingSession?

    /// Records StartTransaction on a pending session: sets `transactionId`, `meterStartWh` and `idTag`, but only
    /// while the session is `Charging` and has no `transactionId` yet. False when nothing was changed.
    func attachTransaction(
        sessionId: String, transactionId: Int64, meterStartWh: Int64, idTag: String
    ) async throws
        -> Bool

    /// The session of an OCPP transaction (found through `Transactions`), or nil.
    func session(transactionId: Int64) async throws -> ChargingSession?

    /// `Charging` OCPP sessions still waiting for StartTransaction (no `transactionId`) that started before
    /// `cutoff` (ms), oldest first, at most `limit`.
    func pendingRemoteStarts(before cutoff: Int64, limit: Int) async throws -> [ChargingSession]
}

/// One meter value of ``SessionStore/applyMeterValues(_:)``.
public struct MeterValueWrite: Sendable, Hashable {
    public var sessionId: String
    public var chargingPointId: String
    public var energyWh: Int64
    public var seq: Int64
    /// Server milliseconds.
    public var receivedAt: Int64

    public init(sessionId: String, chargingPointId: String, energyWh: Int64, seq: Int64, receivedAt: Int64) {
        (self.sessionId, self.chargingPointId, self.energyWh) = (sessionId, chargingPointId, energyWh)
        (self.seq, self.receivedAt) = (seq, receivedAt)
    }
}

/// What one write of ``SessionStore/applyMeterValues(_:)`` did.
public enum MeterWriteResult: Sendable, Hashable {
    /// The session after the write; nil when nothing was applied (as ``SessionStore/applyMeterValue`` answers nil).
    case applied(ChargingSession?)
    /// The write failed (or may not have happened); the description is for the log.
    case failed(String)
}

extension SessionStore {
    public func applyMeterValues(_ writes: [MeterValueWrite]) async -> [MeterWriteResult] {
        var results: [MeterWriteResult] = []
        for write in writes {
            do {
                results.append(
                    .applied(
                        try await applyMeterValue(
                            sessionId: write.sessionId, chargingPointId: write.chargingPointId,
                            energyWh: write.energyWh, seq: write.seq, receivedAt: write.receivedAt)))
            } catch {
                results.append(.failed("\(error)"))
            }
        }
        return results
    }

    public func sessions(ids: [String]) async throws -> [String: ChargingSession] {
        var found: [String: ChargingSession] = [:]
        for id in ids where found[id] == nil {
            if let session = try await session(id: id) { found[id] = session }
        }
        return found
    }
}

/// Filters and paging for ``SessionStore/list(_:)``.
public struct SessionQuery: Sendable, Hashable {
    public var chargingPointId: String?
    public var userId: String?
    public var status: SessionStatus?
    /// Sessions that started at or after this time (ms since the epoch).
    public var from: Int64?
    /// Sessions that started at or before this time (ms since the epoch).
    public var to: Int64?
    public var limit: Int
    /// Continue after this position (from a previous page's `nextCursor`).
    public var after: SessionCursor?

    public static let defaultLimit = 50
    public static let maxLimit = 500

    public init(
        chargingPointId: String? = nil, userId: String? = nil, status: SessionStatus? = nil, from: Int64? = nil,
        to: Int64? = nil, limit: Int = SessionQuery.defaultLimit, after: SessionCursor? = nil
    ) {
        self.chargingPointId = chargingPointId
        self.userId = userId
        self.status = status
        self.from = from
        self.to = to
        self.limit = limit
        self.after = after
    }

    /// Whether a session passes the filters (not the cursor); used by the in-memory store.
    public func matches(_ session: ChargingSession) -> Bool {
        if let chargingPointId, session.chargingPointId != chargingPointId { return false }
        if let userId, session.userId != userId { return false }
        if let status, session.status != status { return false }
        if let from, session.startTime < from { return false }
        if let to, session.startTime > to { return false }
        if let after, !after.precedes(session) { return false }
        return true
    }
}

/// A page of sessions.
public struct SessionPage: Sendable, Hashable {
    public var sessions: [ChargingSession]
    /// Where the next page starts; nil on the last page.
    public var nextCursor: SessionCursor?

    public init(sessions: [ChargingSession], nextCursor: SessionCursor?) {
        self.sessions = sessions
        self.nextCursor = nextCursor
    }
}

/// A position in the newest-first order: the last session of a page. Opaque on the wire (base64url).
public struct SessionCursor: Sendable, Hashable {
    public var startTime: Int64
    public var sessionId: String

    public init(startTime: Int64, sessionId: String) {
        self.startTime = startTime
        self.sessionId = sessionId
    }

    public init(after session: ChargingSession) {
        self.init(startTime: session.startTime, sessionId: session.sessionId)
    }

    /// True when `session` comes after this position in newest-first order.
    public func precedes(_ session: ChargingSession) -> Bool {
        session.startTime < startTime || (session.startTime == startTime && session.sessionId < sessionId)
    }

    /// The order of ``SessionStore/current(chargingPointId:userId:)``: `Charging` before `Stopped`, then newest first.
    public static func activeFirst(_ a: ChargingSession, _ b: ChargingSession) -> Bool {
        if (a.status == .charging) != (b.status == .charging) { return a.status == .charging }
        return newestFirst(a, b)
    }

    /// Newest-first ordering of sessions (start time descending, then session id descending).
    public static func newestFirst(_ a: ChargingSession, _ b: ChargingSession) -> Bool {
        a.startTime != b.startTime ? a.startTime > b.startTime : a.sessionId > b.sessionId
    }

    /// The opaque form `<startTime>.<sessionId>` (`startTime` in ms since the epoch). Its exact syntax is in the
    /// OpenAPI document (`^-?[0-9]{1,15}\.[A-Za-z0-9._:-]{1,64}$`), so every token of that shape is accepted.
    public var token: String { "\(startTime).\(sessionId)" }

    /// Parses a token; nil when it is not of that shape.
    public init?(token: String) {
        guard let dot = token.firstIndex(of: ".") else { return nil }
        let digits = token[..<dot]
        let id = String(token[token.index(after: dot)...])
        let unsigned = digits.hasPrefix("-") ? digits.dropFirst() : digits[...]
        guard (1...15).contains(unsigned.count), unsigned.allSatisfy({ $0.isASCII && $0.isNumber }),
            let startTime = Int64(digits), StartRequest.isValidID(id)
        else { return nil }
        self.init(startTime: startTime, sessionId: id)
    }
}
