// The Data API v1 wire vocabulary that the client (DataAPI) and the server (DataAPIServer) share, next to
// the BSON values it carries, so that neither side links the other.

/// The answer to `updateOne` / `updateMany`.
public struct UpdateResult: Sendable, Equatable {
    public var matchedCount: Int
    public var modifiedCount: Int
    public var upsertedId: BSONValue?

    public init(matchedCount: Int, modifiedCount: Int, upsertedId: BSONValue? = nil) {
        self.matchedCount = matchedCount
        self.modifiedCount = modifiedCount
        self.upsertedId = upsertedId
    }
}

/// The Data API actions.
public enum DataAPIAction: String, Sendable, CaseIterable {
    case findOne, find, insertOne, insertMany, updateOne, updateMany, deleteOne, deleteMany, aggregate

    /// Reads may be retried; writes never are (a retried write could apply twice).
    public var isRead: Bool {
        switch self {
        case .findOne, .find, .aggregate: return true
        default: return false
        }
    }
}
