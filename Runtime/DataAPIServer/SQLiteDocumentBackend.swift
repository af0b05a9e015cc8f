import BSON
import Foundation
import GRDB

/// The embedded backend: every collection in one SQLite file (GRDB `DatabasePool`, WAL mode,
/// `synchronous=FULL`, so an acknowledged write is on disk and survives `kill -9` or power loss).
///
/// Documents are stored as canonical Extended JSON in a single table keyed by namespace and a
/// normalized `_id` (unique). Expression indexes on `sessionId`, `chargingPointId + status` and
/// `startTime` narrow the candidate rows in SQL; the full filter is then evaluated in Swift, so SQL
/// only ever over-selects. Writes run in one serialized write transaction each, which makes every
/// filtered update an atomic compare-and-set.
public struct SQLiteDocumentBackend: DocumentBackend {
    private let pool: DatabasePool

    /// Opens (creating when needed) the database file at `path`; its directory must exist.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: SQLiteSchema.createStatements)
        }
        try migrator.migrate(pool)
    }

    public func find(_ command: FindCommand) async throws -> [Document] {
        let matched = try await database {
            try await pool.read { db in
                try SQLiteSchema.matching(db, command.namespace, command.filter).map(\.document)
            }
        }
        var result = command.sort.map { $0.sorted(matched) } ?? matched
        if command.skip > 0 { result = Array(result.dropFirst(command.skip)) }
        if command.limit > 0 { result = Array(result.prefix(command.limit)) }
        if let projection = command.projection { result = result.map(projection.apply) }
        return result
    }

    public func insert(_ command: InsertCommand) async throws -> [BSONValue] {
        // Ordered insert: documents before a duplicate stay inserted, like MongoDB.
        let outcome: Result<[BSONValue], DataAPIError> = try await database {
            try await pool.write { db in
                var ids = [BSONValue]()
                for document in command.documents {
                    let id = document["_id"] ?? .null
                    if try SQLiteSchema.exists(db, command.namespace, id: id) {
                        return .failure(.duplicateKey(command.namespace, id: id))
                    }
                    try SQLiteSchema.insert(db, command.namespace, document)
                    ids.append(id)
                }
                return .success(ids)
            }
        }
        return try outcome.get()
    }

    public func update(_ command: UpdateCommand) async throws -> UpdateResult {
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        return try await database {
            try await pool.write { db in
                let matched = try SQLiteSchema.matching(db, command.namespace, command.filter)
                guard !matched.isEmpty else {
                    guard command.upsert else { return UpdateResult(matchedCount: 0, modifiedCount: 0) }
                    let document = try command.update.upsertDocument(filter: command.filter, now: now)
                    let id = document["_id"] ?? .null
                    try DocumentValidation.checkId(id)
                    if try SQLiteSchema.exists(db, command.namespace, id: id) {
                        throw DataAPIError.duplicateKey(command.namespace, id: id)
                    }
                    try SQLiteSchema.insert(db, command.namespace, document)
                    return UpdateResult(matchedCount: 0, modifiedCount: 0, upsertedId: id)
                }
                var modified = 0
                let targets = command.multi ? matched : [matched[0]]
                for row in targets {
                    let updated = try command.update.apply(to: row.document, inserting: false, now: now)
                    if updated != row.document {
                        try SQLiteSchema.replace(db, seq: row.seq, updated)
                        modified += 1
                    }
                }
                return UpdateResult(matchedCount: targets.count, modifiedCount: modified)
            }
        }
    }

    public func delete(_ command: DeleteCommand) async throws -> Int {
        try await database {
            try await pool.write { db in
                let matched = try SQLiteSchema.matching(db, command.namespace, command.filter)
                let targets = command.multi ? matched : Array(matched.prefix(1))
                for row in targets {
                    try db.execute(sql: "DELETE FROM documents WHERE seq = ?", arguments: [row.seq])
                }
                return targets.count
            }
        }
    }

    public func aggregate(_ command: AggregateCommand) async throws -> [Document] {
        let input = try await database {
            try await pool.read { db in
                try SQLiteSchema.matching(db, command.namespace, command.pipeline.leadingFilter ?? .everything)
                    .map(\.document)
            }
        }
        return command.pipeline.run(input)
    }

    /// Runs one database step. ``DataAPIError``s pass through; a SQLite/GRDB failure becomes a 503 when the
    /// database stayed locked past the busy timeout and a 500 otherwise, with a message that names no
    /// internals and the cause kept as `underlying` for the log.
    private func database<T>(_ step: () async throws -> T) async throws -> T {
        do {
            return try await step()
        } catch let error as DataAPIError {
            throw error
        } catch let error as DatabaseError where [.SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode) {
            throw DataAPIError(.backendUnavailable, "the embedded database is busy, retry", underlying: error)
        } catch {
            throw DataAPIError(.backendFailure, "the embedded database failed", underlying: error)
        }
    }

    /// The SQLite query plan for a filter (for tests that prove lookups use an index).
    func queryPlan(_ namespace: Namespace, filter: Document) async throws -> [String] {
        let parsed = try Filter(filter)
        return try await pool.read { db in
            let (sql, arguments) = SQLiteSchema.candidateQuery(namespace, parsed)
            return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { row in
                row["detail"] as String? ?? ""
            }
        }
    }
}

/// Checks shared by the controller and the backends.
enum DocumentValidation {
    /// MongoDB refuses arrays as `_id`.
    static func checkId(_ id: BSONValue) throws(DataAPIError) {
        if case .array = id { throw DataAPIError(.invalidParameter, "the _id value cannot be an array") }
    }
}
