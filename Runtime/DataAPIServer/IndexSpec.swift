import BSON

/// A MongoDB index on one collection: its keys in order (`1` ascending, `-1` descending) and its name.
public struct IndexSpec: Sendable, Hashable {
    /// One indexed field and its direction.
    public struct Key: Sendable, Hashable {
        public let field: String
        public let ascending: Bool

        public init(_ field: String, ascending: Bool) {
            self.field = field
            self.ascending = ascending
        }
    }

    public let namespace: Namespace
    public let keys: [Key]
    /// MongoDB's default name for the keys (`chargingPointId_1_startTime_-1__id_-1`), so an index created
    /// by hand with the same keys is recognised instead of conflicting.
    public var name: String { keys.map { "\($0.field)_\($0.ascending ? 1 : -1)" }.joined(separator: "_") }

    public init(namespace: Namespace, keys: [Key]) {
        self.namespace = namespace
        self.keys = keys
    }

    /// The `key` document of `createIndexes`.
    var keyDocument: Document {
        Document(keys.map { ($0.field, BSONValue.int32($0.ascending ? 1 : -1)) })
    }
}

/// The indexes evcsm's own queries need (see `Functions/ChargingCore/DataAPISessionStore.swift`), on
/// `ChargingSessions`. Both backends create them at start: SQLite through a migration (on every
/// collection, the namespace being the first column of each index), MongoDB through `createIndexes`
/// on the configured database. Each query is served by one of them without a sort step:
///
/// | index | serves |
/// |---|---|
/// | `sessionId` | `findOne {sessionId}` |
/// | `chargingPointId, status, startTime -1, _id -1` | GetStatus of a point (sort `status, startTime -1, _id -1`); ListSessions by point and status |
/// | `status, startTime -1, _id -1` | GetStatus without a point; ListSessions by status |
/// | `startTime -1, _id -1` | ListSessions (sort `startTime -1, _id -1`, keyset cursor), also with `from`/`to` |
/// | `chargingPointId, startTime -1, _id -1` | ListSessions by point |
/// | `userId, startTime -1, _id -1` | ListSessions by user (a driver's list is always by user) |
/// | `userId, status, startTime -1, _id -1` | GetStatus of a driver (`{userId}` sorted `status, startTime -1, _id -1`); ListSessions by user and status |
/// | `status, lastActivity, _id` | ExpireSessions (`{status, lastActivity: {$lt}}` sorted `lastActivity, _id`) |
///
/// Lookups by `_id` use the unique `_id` index every collection has.
public enum EvcsmIndexes {
    /// The collection the indexes are on.
    public static let collection = "ChargingSessions"

    /// The SQLite index name and the keys of each index. Changing this list needs a new SQLite migration
    /// (``SQLiteSchema``): applied migrations are not re-run.
    static let definitions: [(sqliteName: String, keys: [IndexSpec.Key])] = [
        ("documents_session", [.init("sessionId", ascending: true)]),
        (
            "documents_point_status",
            [.init("chargingPointId", ascending: true), .init("status", ascending: true)] + newestFirst
        ),
        ("documents_status", [.init("status", ascending: true)] + newestFirst),
        ("documents_start", newestFirst),
        ("documents_point_start", [.init("chargingPointId", ascending: true)] + newestFirst),
        ("documents_user_start", [.init("userId", ascending: true)] + newestFirst),
        ("documents_user_status", [.init("userId", ascending: true), .init("status", ascending: true)] + newestFirst),
        (
            "documents_status_activity",
            [.init("status", ascending: true), .init("lastActivity", ascending: true), .init("_id", ascending: true)]
        ),
    ]

    private static let newestFirst: [IndexSpec.Key] = [
        .init("startTime", ascending: false), .init("_id", ascending: false),
    ]

    /// The indexes on `<database>.ChargingSessions` (database: `DATA_API_DATABASE`, `EVChargingDB` by default).
    public static func specs(database: String) throws(DataAPIError) -> [IndexSpec] {
        let namespace = try Namespace(database: database, collection: collection)
        return definitions.map { IndexSpec(namespace: namespace, keys: $0.keys) }
    }
}
