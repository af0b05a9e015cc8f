// The Data API v1 wire vocabulary that the client (DataAPI) and the server (DataAPIServer) share, next to
// the BSON values it carries, so that neither side links the other.

/// The answer to `updateOne` / `updateMany`.
public struct UpdateResult: Sendable, Equatable {
    /// How many documents matched the filter.
    public var matchedCount: Int
    /// How many of them the update changed.
    public var modifiedCount: Int
    /// The `_id` of the document an upsert inserted.
    public var upsertedId: BSONValue?

    /// A result.
    public init(matchedCount: Int, modifiedCount: Int, upsertedId: BSONValue? = nil) {
        self.matchedCount = matchedCount
        self.modifiedCount = modifiedCount
        self.upsertedId = upsertedId
    }
}

/// The Data API actions.
public enum DataAPIAction: String, Sendable, CaseIterable {
    case findOne, find, insertOne, insertMany, updateOne, updateMany, deleteOne, deleteMany, aggregate
    /// evcsm's extension: several `insertOne`/`updateOne` operations, on any collections of one database, in one
    /// request, run in order (``BulkWriteResult``).
    case bulkWrite

    /// Reads may be retried; writes never are (a retried write could apply twice).
    public var isRead: Bool {
        switch self {
        case .findOne, .find, .aggregate: return true
        default: return false
        }
    }
}
