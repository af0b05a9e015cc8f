import ChargingCore

/// A ``SessionStore`` in memory, with the same semantics as ``DataAPISessionStore``; for unit tests.
public actor InMemorySessionStore: SessionStore {
    private var sessions: [String: ChargingSession] = [:]
    /// Lock id (``ChargingSession/lockId``: the charging point, or `point/connector` from connector 2 on) → the id of
    /// its `Charging` session (the lock the Data API store keeps in `ChargingPoints`).
    private var activeSessions: [String: String] = [:]
    /// Number of successful writes, so tests can assert that bad input wrote nothing.
    public private(set) var writeCount = 0

    public init(_ sessions: [ChargingSession] = []) {
        for session in sessions {
            self.sessions[session.sessionId] = session
            if session.status == .charging { activeSessions[session.lockId] = session.sessionId }
        }
    }

    /// Every stored session, newest first.
    public var all: [ChargingSession] { sessions.values.sorted(by: SessionCursor.newestFirst) }

    public func insert(_ session: ChargingSession) throws {
        if activeSessions[session.lockId] != nil {
            throw ChargingError(
                .chargingPointBusy, "charging point \(session.lockId) already has a charging session")
        }
        guard sessions[session.sessionId] == nil else {
            throw ChargingError(.chargingPointBusy, "session \(session.sessionId) already exists")
        }
        sessions[session.sessionId] = session
        if session.status == .charging { activeSessions[session.lockId] = session.sessionId }
        writeCount += 1
    }

    public func session(id: String) -> ChargingSession? { sessions[id] }

    public func complete(_ stopped: ChargingSession, expectedEnergyWh: Int64) -> Bool {
        guard let current = sessions[stopped.sessionId], current.status == .charging,
            current.energyWh == expectedEnergyWh
        else { return false }
        sessions[stopped.sessionId] = stopped
        if activeSessions[current.lockId] == current.sessionId { activeSessions[current.lockId] = nil }
        writeCount += 1
        return true
    }

    public func applyMeterValue(
        sessionId: String, chargingPointId: String, energyWh: Int64, seq: Int64, receivedAt: Int64
    )
        -> ChargingSession?
    {
        guard var session = sessions[sessionId], session.status == .charging,
            session.chargingPointId == chargingPointId, seq > session.lastMeterSeq
        else { return nil }
        session.energyWh = max(session.energyWh, energyWh)
        session.lastMeterSeq = seq
        session.lastReadingAt = max(receivedAt, session.lastReadingAt ?? receivedAt)
        sessions[sessionId] = session
        writeCount += 1
        return session
    }

    public func countRejectedReadings(sessionId: String, chargingPointId: String, count: Int64) {
        guard var session = sessions[sessionId], session.chargingPointId == chargingPointId else { return }
        session.rejectedReadings += count
        sessions[sessionId] = session
        writeCount += 1
    }

    public func idleSessions(before cutoff: Int64, limit: Int) -> [ChargingSession] {
        let idle = sessions.values.filter {
            $0.status == .charging && $0.connectorId == nil && $0.lastActivity < cutoff
        }
        return Array(
            idle.sorted { ($0.lastActivity, $0.sessionId) < ($1.lastActivity, $1.sessionId) }.prefix(max(0, limit)))
    }

    public func current(chargingPointId: String?, userId: String?) -> ChargingSession? {
        sessions.values.filter {
            (chargingPointId == nil || $0.chargingPointId == chargingPointId) && (userId == nil || $0.userId == userId)
        }
        .min(by: SessionCursor.activeFirst)
    }

    public func list(_ query: SessionQuery) -> SessionPage {
        let matching = sessions.values.filter(query.matches).sorted(by: SessionCursor.newestFirst)
        let page = Array(matching.prefix(query.limit))
        let more = matching.count > query.limit
        return SessionPage(sessions: page, nextCursor: more ? page.last.map(SessionCursor.init(after:)) : nil)
    }

    public func chargingSession(chargingPointId: String, connectorId: Int) -> ChargingSession? {
        let lockId = ChargingSession.lockId(chargingPointId: chargingPointId, connectorId: connectorId)
        guard let holder = activeSessions[lockId].flatMap({ sessions[$0] }), holder.status == .charging,
            holder.chargingPointId == chargingPointId
        else { return nil }
        return holder
    }

    public func attachTransaction(sessionId: String, transactionId: Int64, meterStartWh: Int64, idTag: String) -> Bool {
        guard var session = sessions[sessionId], session.status == .charging, session.transactionId == nil else {
            return false
        }
        session.transactionId = transactionId
        session.meterStartWh = meterStartWh
        session.idTag = idTag
        sessions[sessionId] = session
        writeCount += 1
        return true
    }

    public func session(transactionId: Int64) -> ChargingSession? {
        sessions.values.first { $0.transactionId == transactionId }
    }

    public func pendingRemoteStarts(before cutoff: Int64, limit: Int) -> [ChargingSession] {
        let pending = sessions.values.filter {
            $0.status == .charging && $0.connectorId != nil && $0.transactionId == nil && $0.startTime < cutoff
        }
        return Array(
            pending.sorted { ($0.startTime, $0.sessionId) < ($1.startTime, $1.sessionId) }.prefix(max(0, limit)))
    }
}
