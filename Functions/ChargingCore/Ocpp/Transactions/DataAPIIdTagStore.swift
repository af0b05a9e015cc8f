import BSON
import DataAPI
import Logging

/// An ``IdTagStore`` in MongoDB, through the Data API: `IdTags {_id: idTag, userId, status, expiryDate, updatedAt}`.
///
/// The tag is the `_id` as given (CiString20: compared exactly, not case-folded), so a look-up is one `findOne` and
/// a write one upsert. ``acceptedIdTag(userId:now:)`` (remote starts only) filters on `userId`: the collection is
/// small (one document per card), so it needs no index of its own.
public struct DataAPIIdTagStore: IdTagStore {
    public static let collection = "IdTags"

    private let client: DataAPIClient
    private let logger: Logger

    public init(client: DataAPIClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func idTag(_ idTag: String) async throws -> IdTagRecord? {
        try await DataAPISessionStore.available {
            try client.findOne(Self.collection, filter: ["_id": .string(idTag)]).flatMap(Self.record)
        }
    }

    public func put(_ record: IdTagRecord) async throws -> Bool {
        try await DataAPISessionStore.available {
            let result = try client.updateOne(
                Self.collection, filter: ["_id": .string(record.idTag)],
                update: ["$set": .document(Self.fields(record))],
                upsert: true)
            return result.upsertedId != nil
        }
    }

    public func acceptedIdTag(userId: String, now: Int64) async throws -> IdTagRecord? {
        try await DataAPISessionStore.available {
            let found = try client.find(
                Self.collection,
                filter: [
                    "userId": .string(userId), "status": .string(IdTagStatus.accepted.rawValue),
                    "$or": [["expiryDate": .null], ["expiryDate": ["$gt": .datetime(now)]]],
                ],
                sort: ["_id": 1], limit: 1)
            return found.first.flatMap(Self.record)
        }
    }

    /// The stored fields of a record (all but `_id`).
    static func fields(_ record: IdTagRecord) -> Document {
        [
            "userId": .string(record.userId), "status": .string(record.status.rawValue),
            "expiryDate": record.expiryDate.map { .datetime($0) } ?? .null, "updatedAt": .datetime(record.updatedAt),
        ]
    }

    /// A record from its document; nil when it lacks the tag, user or a stored status.
    static func record(_ d: Document) -> IdTagRecord? {
        guard let idTag = d["_id"]?.stringValue, let userId = d["userId"]?.stringValue,
            let status = d["status"]?.stringValue.flatMap(IdTagStatus.init(rawValue:)), status != .concurrentTx
        else { return nil }
        return IdTagRecord(
            idTag: idTag, userId: userId, status: status, expiryDate: DataAPISessionStore.date(d["expiryDate"]),
            updatedAt: DataAPISessionStore.date(d["updatedAt"]) ?? 0)
    }
}
