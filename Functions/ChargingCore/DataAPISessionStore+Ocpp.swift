import BSON
import DataAPI

/// The OCPP look-ups of ``DataAPISessionStore``. An OCPP session's connector lock is the `ChargingPoints` document
/// ``ChargingSession/lockId(chargingPointId:connectorId:)`` (claimed by `insert` as for any session); a transaction
/// id names its session through the `Transactions` document `{_id: <int32 transactionId>, sessionId, …}` written by
/// ``DataAPITransactionIds``, so every look-up here is by `_id` and needs no extra index.
extension DataAPISessionStore {
    /// The collection of transaction ids (``DataAPITransactionIds``).
    public static let transactionsCollection = "Transactions"

    /// The lock document's `activeSessionId`, then that session while it is `Charging` on this point.
    func findLockHolder(chargingPointId: String, connectorId: Int) async throws -> ChargingSession? {
        let lockId = ChargingSession.lockId(chargingPointId: chargingPointId, connectorId: connectorId)
        guard let lock = try client.findOne(Self.chargingPointsCollection, filter: ["_id": .string(lockId)]),
            let holder = lock["activeSessionId"]?.stringValue,
            let session = try await findSession(id: holder),
            session.status == .charging, session.chargingPointId == chargingPointId
        else { return nil }
        return session
    }

    /// One guarded `updateOne`: `{_id, status: Charging, transactionId: null}` → `$set` the transaction fields.
    func attach(sessionId: String, transactionId: Int64, meterStartWh: Int64, idTag: String) async throws -> Bool {
        let result = try client.updateOne(
            Self.sessionsCollection,
            filter: Self.attachFilter(sessionId: sessionId),
            update: [
                "$set": [
                    "transactionId": .int64(transactionId), "meterStart": .int64(meterStartWh),
                    "idTag": .string(idTag),
                ]
            ])
        return result.matchedCount > 0
    }

    /// The filter of ``attach(sessionId:transactionId:meterStartWh:idTag:)``.
    static func attachFilter(sessionId: String) -> Document {
        ["_id": .string(sessionId), "status": .string(SessionStatus.charging.rawValue), "transactionId": .null]
    }

    /// The `Transactions` document by `_id`, then its session (which must carry that transaction id).
    func findTransaction(_ transactionId: Int64) async throws -> ChargingSession? {
        guard let id = Int32(exactly: transactionId),
            let record = try client.findOne(Self.transactionsCollection, filter: ["_id": .int32(id)]),
            let sessionId = record["sessionId"]?.stringValue,
            let session = try await findSession(id: sessionId), session.transactionId == transactionId
        else { return nil }
        return session
    }

    /// One `find` `{status: Charging, connectorId: {$exists: true}, transactionId: null, startTime: {$lt}}` sorted
    /// `{startTime: 1, _id: 1}` (the `(status, startTime, _id)` index bounds it).
    func findPending(before cutoff: Int64, limit: Int) async throws -> [ChargingSession] {
        guard limit > 0 else { return [] }
        let found = try client.find(
            Self.sessionsCollection, filter: Self.pendingFilter(before: cutoff), sort: ["startTime": 1, "_id": 1],
            limit: limit)
        return found.compactMap(readable)
    }

    /// The filter of ``findPending(before:limit:)``.
    static func pendingFilter(before cutoff: Int64) -> Document {
        [
            "status": .string(SessionStatus.charging.rawValue), "startTime": ["$lt": .datetime(cutoff)],
            "connectorId": ["$exists": true], "transactionId": .null,
        ]
    }
}
