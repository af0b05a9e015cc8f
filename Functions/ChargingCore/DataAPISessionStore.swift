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
///   key, which means busy. No read-then-write race. The claim and the insert of the session go in one `bulkWrite`
///   (the insert runs only when the claim held), so a start is one Data API call after its registration lookup.
/// - Meter values are one `updateOne` whose filter requires `status: Charging` and `lastMeterSeq < seq`
///   and whose update is `$max` of the energy, so energy never goes backwards and a repeat counts once.
/// - A stop is a compare-and-set on `{status: Charging, energyWh: <read value>}` and the release of the lock, in
///   one `bulkWrite` (the release runs only when the compare-and-set matched).
public struct DataAPISessionStore: SessionStore {
    public static let sessionsCollection = "ChargingSessions"
    public static let chargingPointsCollection = "ChargingPoints"
    /// A lock whose session was never written (its start crashed in between) is taken over after this long.
    public static let abandonedClaimMilliseconds: Int64 = 60_000

    let client: DataAPIClient
    private let logger: Logger

    public init(client: DataAPIClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// One `bulkWrite`: the claim of the session's lock document (its charging point, or its connector for an OCPP
    /// session, ``ChargingSession/lockId``) by a conditional upsert, then the insert of the session, which runs only
    /// when the claim succeeded. A claim refused as a duplicate key means busy, unless the lock was abandoned
    /// (``releaseIfAbandoned(lockId:now:)``); then the pair is sent once more.
    func insertDocuments(_ session: ChargingSession) async throws {
        let operations: [BulkWriteOperation] = [
            .updateOne(
                Self.chargingPointsCollection, filter: ["_id": .string(session.lockId), "activeSessionId": .null],
                update: [
                    "$set": [
                        "activeSessionId": .string(session.sessionId), "claimedAt": .datetime(session.startTime),
                    ]
                ],
                upsert: true),
            .insertOne(Self.sessionsCollection, document: Self.document(session)),
        ]
        var refusal: DataAPIError?
        for attempt in 0..<2 {
            guard let failure = try client.bulkWrite(operations).writeError else { return }
            if failure.index == 0 {
                guard failure.error.code == .duplicateKey else { throw failure.error }
                refusal = failure.error
                guard attempt == 0, try releaseIfAbandoned(lockId: session.lockId, now: session.startTime) else {
                    break
                }
                continue
            }
            // The claim held and the insert failed. Free the point only when the insert certainly did not happen.
            // After a server failure the session may have been written, so the lock stays; if it was not, the
            // abandoned-lock takeover frees the point after `abandonedClaimMilliseconds`. Releasing here could
            // leave a `Charging` session without its lock, and a second start on the point would then succeed.
            if !failure.error.code.isAmbiguousWriteOutcome {
                try? release(lockId: session.lockId, sessionId: session.sessionId)
            }
            if failure.error.code == .duplicateKey {
                throw ChargingError(
                    .chargingPointBusy, "session \(session.sessionId) already exists", underlying: failure.error)
            }
            throw failure.error
        }
        let holder = session.connectorId.map { "connector \($0) of charging point" } ?? "charging point"
        throw ChargingError(
            .chargingPointBusy, "\(holder) \(session.chargingPointId) already has a charging session",
            underlying: refusal)
    }

    /// Frees a lock whose session is stopped, or missing for longer than ``abandonedClaimMilliseconds``.
    private func releaseIfAbandoned(lockId: String, now: Int64) throws(DataAPIError) -> Bool {
        guard let lock = try client.findOne(Self.chargingPointsCollection, filter: ["_id": .string(lockId)]),
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
            metadata: ["lock": "\(lockId)", "activeSessionId": "\(holder)"])
        try release(lockId: lockId, sessionId: holder)
        return true
    }

    private func release(lockId: String, sessionId: String) throws(DataAPIError) {
        _ = try client.write(Self.release(lockId, sessionId))
    }

    /// The update that frees the lock `lockId` when `sessionId` holds it.
    static func release(_ lockId: String, _ sessionId: String) -> BulkWriteOperation {
        .updateOne(
            chargingPointsCollection, filter: ["_id": .string(lockId), "activeSessionId": .string(sessionId)],
            update: ["$set": ["activeSessionId": .null, "lastSessionId": .string(sessionId)]])
    }

    func findSession(id: String) async throws -> ChargingSession? {
        try client.findOne(Self.sessionsCollection, filter: ["_id": .string(id)]).flatMap(readable)
    }

    func completeSession(_ stopped: ChargingSession, expectedEnergyWh: Int64) async throws -> Bool {
        var set: Document = [
            "status": .string(stopped.status.rawValue),
            "endTime": stopped.endTime.map { .datetime($0) } ?? .null,
            "stopReason": stopped.stopReason.map { .string($0.rawValue) } ?? .null,
            "currency": .string(stopped.currency),
        ]
        if let cents = stopped.costCents { set["cost"] = .double(WireNumber.money(cents: cents)) }
        // One `bulkWrite`: the compare-and-set, and the release of the lock only when it matched.
        let outcome = try client.bulkWrite([
            .updateOne(
                Self.sessionsCollection,
                filter: [
                    "_id": .string(stopped.sessionId), "status": .string(SessionStatus.charging.rawValue),
                    "energyWh": .int64(expectedEnergyWh),
                ],
                update: ["$set": .document(set)], requireMatch: true),
            Self.release(stopped.lockId, stopped.sessionId),
        ])
        if let failure = outcome.writeError {
            guard failure.index > 0 else { throw failure.error }
            // The session is stopped; the next start on this point takes the lock over (releaseIfAbandoned).
            logger.error(
                "releasing charging point lock failed",
                metadata: [
                    "chargingPointId": "\(stopped.chargingPointId)", "error": "\(failure.error.debugDescription)",
                ])
            return true
        }
        guard case .updated(let compareAndSet)? = outcome.results.first else {
            throw DataAPIError(.unexpectedResponse, "bulkWrite: no result for the stop's compare-and-set")
        }
        return compareAndSet.matchedCount > 0
    }

    func applyMeterReading(_ write: MeterValueWrite) async throws -> ChargingSession? {
        guard case .updated(let result) = try client.write(Self.meterUpdate(write)), result.matchedCount > 0 else {
            return nil
        }
        return try await session(id: write.sessionId)
    }

    /// A meter value's one guarded update: the filter requires `Charging` on the point and `lastMeterSeq < seq`, the
    /// update is `$max` of the energy, so energy never goes backwards and a repeat counts once.
    static func meterUpdate(_ write: MeterValueWrite) -> BulkWriteOperation {
        .updateOne(
            sessionsCollection,
            filter: [
                "_id": .string(write.sessionId), "chargingPointId": .string(write.chargingPointId),
                "status": .string(SessionStatus.charging.rawValue), "lastMeterSeq": ["$lt": .int64(write.seq)],
            ],
            update: [
                "$max": [
                    "energyWh": .int64(write.energyWh), "energyConsumed": .double(Double(write.energyWh) / 1000),
                    "lastReadingAt": .datetime(write.receivedAt), "lastActivity": .datetime(write.receivedAt),
                ],
                "$set": ["lastMeterSeq": .int64(write.seq)],
            ])
    }

    func countRejected(sessionId: String, chargingPointId: String, count: Int64) async throws {
        _ = try client.updateOne(
            Self.sessionsCollection,
            filter: ["_id": .string(sessionId), "chargingPointId": .string(chargingPointId)],
            update: ["$inc": ["rejectedReadings": .int64(count)]])
    }

    /// One `find` `{status: Charging, lastActivity: {$lt: cutoff}}` sorted `{lastActivity: 1, _id: 1}`, served by
    /// the `(status, lastActivity, _id)` index without a sort step.
    func findIdle(before cutoff: Int64, limit: Int) async throws -> [ChargingSession] {
        let found = try client.find(
            Self.sessionsCollection, filter: Self.idleFilter(before: cutoff), sort: Self.idleSort, limit: limit,
            fields: StoredSessionField.extendedJSONFields)
        return found.storedSessions.compactMap(readable)
    }

    /// The filter of ``findIdle(before:limit:)``; OCPP sessions (with a `connectorId`) are left out, the charger
    /// reports their end.
    static func idleFilter(before cutoff: Int64) -> Document {
        [
            "status": .string(SessionStatus.charging.rawValue), "lastActivity": ["$lt": .datetime(cutoff)],
            "connectorId": .null,
        ]
    }

    /// The sort of ``findIdle(before:limit:)``: oldest activity first.
    static let idleSort: Document = ["lastActivity": 1, "_id": 1]

    func listSessions(_ query: SessionQuery) async throws -> SessionPage {
        let found = try client.find(
            Self.sessionsCollection, filter: Self.filter(query), sort: ["startTime": -1, "_id": -1],
            limit: query.limit + 1, fields: StoredSessionField.extendedJSONFields
        ).storedSessions
        // The window is the first `limit` documents as stored; an unreadable one is left out of the page (and
        // logged) but still counts for the window, so the cursor and "is there more" never depend on it.
        let window = found.prefix(query.limit)
        let page = window.compactMap(readable)
        let more = found.count > query.limit
        let cursor = window.last.flatMap(Self.cursor(after:)) ?? page.last.map(SessionCursor.init(after:))
        return SessionPage(sessions: page, nextCursor: more ? cursor : nil)
    }

    /// One `find`: `Charging` sorts before `Stopped` (the store writes only those two spellings), then newest first,
    /// so an active session wins even when a session that started later was stopped (late, queued messages).
    /// Served by the `(chargingPointId, status, startTime, _id)`, `(userId, status, startTime, _id)` and
    /// `(status, startTime, _id)` indexes.
    func findCurrent(chargingPointId: String?, userId: String?) async throws -> ChargingSession? {
        var filter = Document()
        if let chargingPointId { filter["chargingPointId"] = .string(chargingPointId) }
        if let userId { filter["userId"] = .string(userId) }
        let found = try client.find(
            Self.sessionsCollection, filter: filter, sort: Self.currentSort, limit: 1,
            fields: StoredSessionField.extendedJSONFields)
        return found.storedSessions.first.flatMap(readable)
    }

    /// The session of a stored document, or nil with an error log line naming the document and what is wrong.
    func readable(_ document: some StoredSessionFields) -> ChargingSession? {
        switch Self.decodeSession(document) {
        case .success(let session): return session
        case .failure(let problem):
            logger.error(
                "stored session is unreadable; left out",
                metadata: [
                    "_id": "\(document[.id].map { ExtendedJSON.serialize($0, mode: .relaxed) } ?? "none")",
                    "problem": "\(problem.message)",
                ])
            return nil
        }
    }

    /// The sort of ``current(chargingPointId:userId:)``.
    static let currentSort: Document = ["status": 1, "startTime": -1, "_id": -1]
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
