import BSON

/// The ``SessionStore`` methods of ``DataAPISessionStore``: each runs its Data API calls and turns "the Data API
/// can't be reached or is restarting" into a 503 `ServiceUnavailable` envelope (``ChargingError`` `.storeContention`,
/// the Data API error kept as `underlying` for the log) instead of a 500. Every other error passes unchanged.
extension DataAPISessionStore {
    public func insert(_ session: ChargingSession) async throws {
        try await Self.available { try await insertDocuments(session) }
    }

    public func session(id: String) async throws -> ChargingSession? {
        try await Self.available { try await findSession(id: id) }
    }

    public func complete(_ stopped: ChargingSession, expectedEnergyWh: Int64) async throws -> Bool {
        try await Self.available { try await completeSession(stopped, expectedEnergyWh: expectedEnergyWh) }
    }

    public func applyMeterValue(
        sessionId: String, chargingPointId: String, energyWh: Int64, seq: Int64, receivedAt: Int64
    ) async throws -> ChargingSession? {
        try await Self.available {
            try await applyMeterReading(
                MeterValueWrite(
                    sessionId: sessionId, chargingPointId: chargingPointId, energyWh: energyWh, seq: seq,
                    receivedAt: receivedAt))
        }
    }

    public func applyMeterValues(_ writes: [MeterValueWrite]) async -> [MeterWriteResult] {
        await applyMeterReadings(writes)
    }

    public func sessions(ids: [String]) async throws -> [String: ChargingSession] {
        try await Self.available { try await findSessions(ids: ids) }
    }

    public func countRejectedReadings(sessionId: String, chargingPointId: String, count: Int64) async throws {
        try await Self.available {
            try await countRejected(sessionId: sessionId, chargingPointId: chargingPointId, count: count)
        }
    }

    public func idleSessions(before cutoff: Int64, limit: Int) async throws -> [ChargingSession] {
        try await Self.available { try await findIdle(before: cutoff, limit: limit) }
    }

    public func list(_ query: SessionQuery) async throws -> SessionPage {
        try await Self.available { try await listSessions(query) }
    }

    public func current(chargingPointId: String?, userId: String?) async throws -> ChargingSession? {
        try await Self.available { try await findCurrent(chargingPointId: chargingPointId, userId: userId) }
    }

    public func chargingSession(chargingPointId: String, connectorId: Int) async throws -> ChargingSession? {
        try await Self.available {
            try await findLockHolder(chargingPointId: chargingPointId, connectorId: connectorId)
        }
    }

    public func attachTransaction(
        sessionId: String, transactionId: Int64, meterStartWh: Int64, idTag: String
    ) async throws -> Bool {
        try await Self.available {
            try await attach(
                sessionId: sessionId, transactionId: transactionId, meterStartWh: meterStartWh, idTag: idTag)
        }
    }

    public func session(transactionId: Int64) async throws -> ChargingSession? {
        try await Self.available { try await findTransaction(transactionId) }
    }

    public func pendingRemoteStarts(before cutoff: Int64, limit: Int) async throws -> [ChargingSession] {
        try await Self.available { try await findPending(before: cutoff, limit: limit) }
    }

    /// Runs `operation`, mapping an unreachable or unavailable Data API to a 503 ``ChargingError``.
    static func available<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as DataAPIError where error.code == .transport || error.code == .backendUnavailable {
            throw ChargingError(
                .storeContention, "the session store is unavailable; retry shortly", underlying: error)
        }
    }
}
