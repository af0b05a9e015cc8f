import BSON
import DataAPI
import Essentials
import FunctionRuntime
import Logging

/// A ``SessionStore`` in MongoDB, through the Data API.
///
/// - Sessions live in `ChargingSessions` with `_id` = `sessionId`, dates as BSON dates.
/// - "At most one `Charging` session per charging point" is a lock document in `ChargingPoints`,
///   `{_id: chargingPointId, activeSessionId}`, claimed with ONE conditional upsert
///   (`filter {_id, activeSessionId: null}`, `upsert: true`): when another session holds the point the
///   filter does not match, the upsert tries to insert the existing `_id` and MongoDB answers duplicate
///   key, which means busy. No read-then-write race.
/// - Meter values are one `updateOne` whose filter requires `status: Charging` and `lastMeterSeq < seq`
///   and whose update is `$max` of the energy, so energy never goes backwards and a repeat counts once.
/// - A stop is a compare-and-set on `{status: Charging, energyWh: <read value>}`.
public struct DataAPISessionStore: SessionStore {
    public static let sessionsCollection = "ChargingSessions"
    public static let chargingPointsCollection = "ChargingPoints"
    /// A lock whose session was never written (its start crashed in between) is taken over after this long.
    public static let abandonedClaimMilliseconds: Int64 = 60_000

    private let client: DataAPIClient
    private let logger: Logger

    public init(client: DataAPIClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func insert(_ session: ChargingSession) async throws {
        try claim(session)
        let inserted: DataAPIError?
        do {
            _ = try client.insertOne(Self.sessionsCollection, document: Self.document(session))
            inserted = nil
        } catch {
            inserted = error
        }
        guard let failure = inserted else { return }
        // Free the point only when the insert certainly did not happen. After a transport error or a server
        // failure the session may have been written, so the lock stays; if it was not, the abandoned-lock
        // takeover frees the point after `abandonedClaimMilliseconds`. Releasing here could leave a
        // `Charging` session without its lock, and a second start on the point would then succeed.
        if !failure.code.isAmbiguousWriteOutcome {
            try? release(chargingPointId: session.chargingPointId, sessionId: session.sessionId)
        }
        if failure.code == .duplicateKey {
            throw ChargingError(
                .chargingPointBusy, "session \(session.sessionId) already exists", underlying: failure)
        }
        throw failure
    }

    /// Claims the charging point's lock document for `session` with one conditional upsert, or throws busy.
    private func claim(_ session: ChargingSession) throws {
        var refusal: DataAPIError?
        for attempt in 0..<2 {
            let outcome: DataAPIError?
            do {
                _ = try client.updateOne(
                    Self.chargingPointsCollection,
                    filter: ["_id": .string(session.chargingPointId), "activeSessionId": .null],
                    update: [
                        "$set": [
                            "activeSessionId": .string(session.sessionId), "claimedAt": .datetime(session.startTime),
                        ]
                    ],
                    upsert: true)
                outcome = nil
            } catch {
                outcome = error
            }
            guard let failure = outcome else { return }
            guard failure.code == .duplicateKey else { throw failure }
            refusal = failure
            guard attempt == 0,
                try releaseIfAbandoned(chargingPointId: session.chargingPointId, now: session.startTime)
            else { break }
        }
        throw ChargingError(
            .chargingPointBusy, "charging point \(session.chargingPointId) already has a charging session",
            underlying: refusal)
    }

    /// Frees a lock whose session is stopped, or missing for longer than ``abandonedClaimMilliseconds``.
    private func releaseIfAbandoned(chargingPointId: String, now: Int64) throws(DataAPIError) -> Bool {
        guard let lock = try client.findOne(Self.chargingPointsCollection, filter: ["_id": .string(chargingPointId)]),
            let holder = lock["activeSessionId"]?.stringValue
        else { return true }
        let holderSession = try client.findOne(Self.sessionsCollection, filter: ["_id": .string(holder)])
        if let holderSession {
            guard holderSession["status"]?.stringValue == SessionStatus.stopped.rawValue else { return false }
        } else {
            let claimedAt = lock["claimedAt"]?.datetimeValue ?? now
            guard now - claimedAt > Self.abandonedClaimMilliseconds else { return false }
        }
        logger.warning(
            "releasing abandoned charging point lock",
            metadata: ["chargingPointId": "\(chargingPointId)", "activeSessionId": "\(holder)"])
        try release(chargingPointId: chargingPointId, sessionId: holder)
        return true
    }

    private func release(chargingPointId: String, sessionId: String) throws(DataAPIError) {
        _ = try client.updateOne(
            Self.chargingPointsCollection,
            filter: ["_id": .string(chargingPointId), "activeSessionId": .string(sessionId)],
            update: ["$set": ["activeSessionId": .null, "lastSessionId": .string(sessionId)]])
    }

    public func session(id: String) async throws -> ChargingSession? {
        try client.findOne(Self.sessionsCollection, filter: ["_id": .string(id)]).flatMap(Self.session(from:))
    }

    public func complete(_ stopped: ChargingSession, expectedEnergyWh: Int64) async throws -> Bool {
        var set: Document = [
            "status": .string(stopped.status.rawValue),
            "endTime": stopped.endTime.map { .datetime($0) } ?? .null,
            "stopReason": stopped.stopReason.map { .string($0.rawValue) } ?? .null,
            "currency": .string(stopped.currency),
        ]
        if let cents = stopped.costCents { set["cost"] = .double(WireNumber.money(cents: cents)) }
        let result = try client.updateOne(
            Self.sessionsCollection,
            filter: [
                "_id": .string(stopped.sessionId), "status": .string(SessionStatus.charging.rawValue),
                "energyWh": .int64(expectedEnergyWh),
            ],
            update: ["$set": .document(set)])
        guard result.matchedCount > 0 else { return false }
        do {
            try release(chargingPointId: stopped.chargingPointId, sessionId: stopped.sessionId)
        } catch {
            // The session is stopped; the next start on this point takes the lock over (releaseIfAbandoned).
            logger.error(
                "releasing charging point lock failed",
                metadata: ["chargingPointId": "\(stopped.chargingPointId)", "error": "\(error.debugDescription)"])
        }
        return true
    }

    public func applyMeterValue(
        sessionId: String, chargingPointId: String, energyWh: Int64, seq: Int64
    ) async throws
        -> ChargingSession?
    {
        let result = try client.updateOne(
            Self.sessionsCollection,
            filter: [
                "_id": .string(sessionId), "chargingPointId": .string(chargingPointId),
                "status": .string(SessionStatus.charging.rawValue), "lastMeterSeq": ["$lt": .int64(seq)],
            ],
            update: [
                "$max": ["energyWh": .int64(energyWh), "energyConsumed": .double(Double(energyWh) / 1000)],
                "$set": ["lastMeterSeq": .int64(seq)],
            ])
        guard result.matchedCount > 0 else { return nil }
        return try await session(id: sessionId)
    }

    public func list(_ query: SessionQuery) async throws -> SessionPage {
        let found = try client.find(
            Self.sessionsCollection, filter: Self.filter(query), sort: ["startTime": -1, "_id": -1],
            limit: query.limit + 1)
        let sessions = found.compactMap(Self.session(from:))
        let page = Array(sessions.prefix(query.limit))
        let more = sessions.count > query.limit
        return SessionPage(sessions: page, nextCursor: more ? page.last.map(SessionCursor.init(after:)) : nil)
    }

    /// One `find`: `Charging` sorts before `Stopped` (the store writes only those two spellings), then newest first,
    /// so an active session wins even when a session that started later was stopped (late, queued messages).
    /// Served by the `(chargingPointId, status, startTime, _id)` and `(status, startTime, _id)` indexes.
    public func current(chargingPointId: String?) async throws -> ChargingSession? {
        var filter = Document()
        if let chargingPointId { filter["chargingPointId"] = .string(chargingPointId) }
        let found = try client.find(
            Self.sessionsCollection, filter: filter, sort: Self.currentSort, limit: 1)
        return found.first.flatMap(Self.session(from:))
    }

    /// The sort of ``current(chargingPointId:)``.
    static let currentSort: Document = ["status": 1, "startTime": -1, "_id": -1]

    // MARK: - Mapping

    /// The Data API filter of a query (cursor as `$or` on start time, then id).
    static func filter(_ query: SessionQuery) -> Document {
        var filter = Document()
        if let chargingPointId = query.chargingPointId { filter["chargingPointId"] = .string(chargingPointId) }
        if let userId = query.userId { filter["userId"] = .string(userId) }
        if let status = query.status { filter["status"] = .string(status.rawValue) }
        if query.from != nil || query.to != nil {
            var range = Document()
            if let from = query.from { range["$gte"] = .datetime(from) }
            if let to = query.to { range["$lte"] = .datetime(to) }
            filter["startTime"] = .document(range)
        }
        if let after = query.after {
            filter["$or"] = [
                ["startTime": ["$lt": .datetime(after.startTime)]],
                ["startTime": .datetime(after.startTime), "_id": ["$lt": .string(after.sessionId)]],
            ]
        }
        return filter
    }

    /// The stored document of a session.
    static func document(_ s: ChargingSession) -> Document {
        [
            "_id": .string(s.sessionId), "sessionId": .string(s.sessionId),
            "chargingPointId": .string(s.chargingPointId), "userId": .string(s.userId),
            "vehicleId": .string(s.vehicleId), "status": .string(s.status.rawValue),
            "startTime": .datetime(s.startTime),
            "endTime": s.endTime.map { .datetime($0) } ?? .null, "energyWh": .int64(s.energyWh),
            "energyConsumed": .double(s.energyConsumed), "maxPower": .double(s.maxPower),
            "targetCharge": .double(s.targetCharge), "targetEnergyWh": .int64(s.targetEnergyWh),
            "lastMeterSeq": .int64(s.lastMeterSeq), "stopReason": s.stopReason.map { .string($0.rawValue) } ?? .null,
            "cost": s.costCents.map { .double(WireNumber.money(cents: $0)) } ?? .null, "currency": .string(s.currency),
        ]
    }

    /// A session from a stored document; nil (skipped) when required fields are missing.
    static func session(from d: Document) -> ChargingSession? {
        guard let sessionId = d["sessionId"]?.stringValue ?? d["_id"]?.stringValue,
            let chargingPointId = d["chargingPointId"]?.stringValue,
            let status = d["status"]?.stringValue.flatMap(SessionStatus.init(anySpelling:)),
            let startTime = date(d["startTime"])
        else { return nil }
        let energyWh =
            d["energyWh"]?.int64Value ?? d["energyConsumed"]?.doubleValue.map { Int64(($0 * 1000).rounded()) }
        return ChargingSession(
            sessionId: sessionId, chargingPointId: chargingPointId, userId: d["userId"]?.stringValue ?? "unknown",
            vehicleId: d["vehicleId"]?.stringValue ?? "unknown", status: status, startTime: startTime,
            endTime: date(d["endTime"]), energyWh: energyWh ?? 0, maxPower: d["maxPower"]?.doubleValue ?? 0,
            targetCharge: d["targetCharge"]?.doubleValue ?? 0, targetEnergyWh: d["targetEnergyWh"]?.int64Value ?? 0,
            lastMeterSeq: d["lastMeterSeq"]?.int64Value ?? -1,
            stopReason: d["stopReason"]?.stringValue.flatMap(StopReason.init(rawValue:)),
            costCents: d["cost"]?.doubleValue.map { Int64(($0 * 100).rounded()) },
            currency: d["currency"]?.stringValue ?? "EUR")
    }

    private static func date(_ value: BSONValue?) -> Int64? {
        if let ms = value?.datetimeValue { return ms }
        return value?.stringValue.flatMap(Timestamp.parseMilliseconds)
    }
}

extension DataAPIErrorCode {
    /// True when a write that failed with this code may nevertheless have been applied (no answer, or a
    /// server-side failure after the request arrived).
    var isAmbiguousWriteOutcome: Bool {
        switch self {
        case .transport, .unexpectedResponse, .backendFailure, .backendUnavailable: return true
        case .invalidParameter, .unauthorized, .actionNotFound, .duplicateKey, .payloadTooLarge: return false
        }
    }
}
