import BSON
import Foundation
import GRDB

/// The embedded backend: every collection in one SQLite file (GRDB `DatabasePool`, WAL mode,
/// `synchronous=NORMAL`): an acknowledged write survives any crash of the process (`kill -9`); on a power loss
/// or an OS crash the last transactions before it may be lost (the database stays consistent), like MongoDB's
/// default journal commit interval. ``durabilitySettings()`` reads the settings back from the writer.
///
/// Documents are stored as canonical Extended JSON in a single table keyed by namespace and a
/// normalized `_id` (unique). Expression indexes on the fields evcsm queries (``EvcsmIndexes``) serve
/// filters, sorts, `skip` and `limit` in SQL (``SQLiteQuery``); Swift parses the returned rows and checks
/// whatever SQL cannot decide exactly. A canonical reply (``findCanonical(_:)``, what the workers ask for)
/// copies the stored text of the rows SQL alone selects, without parsing them. Writes are serialized on one
/// writer, which makes every filtered update an atomic compare-and-set; writes that arrive together share one
/// transaction, each in its own savepoint, and are answered after its COMMIT (``SQLiteGroupCommit``).
public struct SQLiteDocumentBackend: DocumentBackend {
    let pool: DatabasePool
    let commits: SQLiteGroupCommit

    /// Opens (creating when needed) the database file at `path`; its directory must exist. Migrations
    /// bring an existing file's table and indexes up to date.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.maximumReaderCount = Self.readerCount(configuration.maximumReaderCount)
        pool = try DatabasePool(path: path, configuration: configuration)
        // Set on the writer after the pool has opened it: GRDB's WAL set-up would override a value set earlier.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        try SQLiteSchema.migrate(pool)
        Self.openReaders(pool, count: configuration.maximumReaderCount)
        commits = SQLiteGroupCommit(pool: pool)
    }

    /// `journal_mode` and `synchronous` (0 OFF, 1 NORMAL, 2 FULL) of the connection that writes.
    public func durabilitySettings() async throws -> (journalMode: String, synchronous: Int) {
        try await pool.writeWithoutTransaction { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
            )
        }
    }

    public func find(_ command: FindCommand) async throws -> [Document] {
        let query = SQLiteQuery(command.namespace, filter: command.filter, sort: command.sort)
        let (skip, limit) = (command.skip, command.limit > 0 ? command.limit : nil)
        var result = try await database {
            try readHere { db in try query.run(db, skip: skip, limit: limit).map(\.document) }
        }
        if let projection = command.projection { result = result.map(projection.apply) }
        return result
    }

    /// Without a projection, the stored text of each row SQL alone selects, never parsed
    /// (``SQLiteQuery/runCanonical(_:skip:limit:)``).
    public func findCanonical(_ command: FindCommand) async throws -> SerializedDocuments {
        if command.projection != nil { return SerializedDocuments(try await find(command)) }
        let query = SQLiteQuery(command.namespace, filter: command.filter, sort: command.sort)
        let (skip, limit) = (command.skip, command.limit > 0 ? command.limit : nil)
        return try await database {
            try readHere { db in try query.runCanonical(db, skip: skip, limit: limit) }
        }
    }

    public func insert(_ command: InsertCommand) async throws -> [BSONValue] {
        let outcome: Result<[BSONValue], DataAPIError> = try await database {
            try await commits.write(documents: command.documents.count) { db in try Self.insert(db, command) }
        }
        return try outcome.get()
    }

    public func update(_ command: UpdateCommand) async throws -> UpdateResult {
        let now = Self.nowMilliseconds()
        return try await database {
            try await commits.write { db in try Self.update(db, command, now: now) }
        }
    }

    /// The current time for `$currentDate` and an upsert's `$currentDate`, in milliseconds.
    static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// An ordered insert in `db`: documents before a duplicate stay inserted, like MongoDB; the duplicate is the
    /// failure.
    static func insert(_ db: Database, _ command: InsertCommand) throws -> Result<[BSONValue], DataAPIError> {
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

    /// An update in `db`; a refusal is thrown (the caller's savepoint then rolls back all of it).
    static func update(_ db: Database, _ command: UpdateCommand, now: Int64) throws -> UpdateResult {
        let query = SQLiteQuery(command.namespace, filter: command.filter, sort: nil)
        let matched = try query.run(db, limit: command.multi ? nil : 1)
        guard !matched.isEmpty else {
            guard command.upsert else { return UpdateResult(matchedCount: 0, modifiedCount: 0) }
            let document = try command.update.upsertDocument(filter: command.filter, now: now)
            try DocumentShape(document).checkStorable("the upserted document")
            let id = document["_id"] ?? .null
            try DocumentValidation.checkId(id)
            if try SQLiteSchema.exists(db, command.namespace, id: id) {
                throw DataAPIError.duplicateKey(command.namespace, id: id)
            }
            try SQLiteSchema.insert(db, command.namespace, document)
            return UpdateResult(matchedCount: 0, modifiedCount: 0, upsertedId: id)
        }
        var modified = 0
        for row in matched {
            let updated = try command.update.apply(to: row.document, inserting: false, now: now)
            // A refusal rolls the whole action back (its savepoint): an updateMany writes all or nothing.
            try DocumentShape(updated).checkStorable("the updated document")
            if !BSONOrder.identical(updated, row.document) {
                try SQLiteSchema.replace(db, seq: row.seq, updated)
                modified += 1
            }
        }
        return UpdateResult(matchedCount: matched.count, modifiedCount: modified)
    }

    public func delete(_ command: DeleteCommand) async throws -> Int {
        try await database {
            try await commits.write { db in
                let query = SQLiteQuery(command.namespace, filter: command.filter, sort: nil)
                let matched = try query.run(db, limit: command.multi ? nil : 1)
                for row in matched { try SQLiteSchema.delete(db, seq: row.seq) }
                return matched.count
            }
        }
    }

    public func aggregate(_ command: AggregateCommand) async throws -> [Document] {
        let query = SQLiteQuery(command.namespace, filter: command.pipeline.leadingFilter ?? .everything, sort: nil)
        let input = try await database {
            try readHere { db in try query.run(db).map(\.document) }
        }
        return command.pipeline.run(input)
    }

    /// Runs one database step. ``DataAPIError``s pass through; a SQLite/GRDB failure becomes a 503 when the
    /// database stayed locked past the busy timeout and a 500 otherwise, with a message that names no
    /// internals and the cause kept as `underlying` for the log.
    func database<T>(_ step: () async throws -> T) async throws -> T {
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

    /// The SQLite query plan of a filter (for tests that prove lookups use an index).
    func queryPlan(_ namespace: Namespace, filter: Document) async throws -> [String] {
        try await queryPlan(SQLiteQuery(namespace, filter: try Filter(filter), sort: nil))
    }

    /// The SQLite query plans of every statement a `find` runs (for tests that prove queries use an index
    /// for filtering and order).
    func queryPlan(_ command: FindCommand) async throws -> [String] {
        try await queryPlan(
            SQLiteQuery(command.namespace, filter: command.filter, sort: command.sort), skip: command.skip,
            limit: command.limit)
    }

    private func queryPlan(_ query: SQLiteQuery, skip: Int = 0, limit: Int = 0) async throws -> [String] {
        try await pool.read { db in
            try query.statements(skip: skip, limit: limit > 0 ? limit : nil).flatMap { statement in
                try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + statement.sql, arguments: statement.statementArguments
                ).map { row in row["detail"] as String? ?? "" }
            }
        }
    }

    /// The names of the table's indexes (for tests).
    func indexNames() async throws -> [String] { try await pool.read(SQLiteSchema.indexNames) }
}

/// Checks shared by the controller and the backends.
enum DocumentValidation {
    /// MongoDB refuses arrays as `_id`.
    static func checkId(_ id: BSONValue) throws(DataAPIError) {
        if case .array = id { throw DataAPIError(.invalidParameter, "the _id value cannot be an array") }
    }
}
