import BSON
import Foundation
import GRDB

/// The table, its indexes and migrations, and the statements that write rows.
enum SQLiteSchema {
    /// Version 1: the table and the first expression indexes (with version 1's text expression).
    private static let version1 = """
        CREATE TABLE documents (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            ns TEXT NOT NULL,
            id_key TEXT NOT NULL,
            body TEXT NOT NULL,
            UNIQUE (ns, id_key)
        );
        CREATE INDEX documents_session ON documents (ns, \(version1Text("sessionId")));
        CREATE INDEX documents_point_status ON documents (ns, \(version1Text("chargingPointId")), \
        \(version1Text("status")));
        CREATE INDEX documents_status ON documents (ns, \(version1Text("status")));
        CREATE INDEX documents_start ON documents (ns, \(SQLiteIndexedField.named("startTime")!.expression));
        """

    private static func version1Text(_ field: String) -> String {
        "(CASE json_type(body, '$.\(field)') WHEN 'text' THEN json_extract(body, '$.\(field)') WHEN 'array' THEN x'00' END)"
    }

    /// Version 2: ``EvcsmIndexes`` with the NUL-aware text expression, each (but `sessionId`) ending in
    /// `(startTime DESC, id_key DESC)` so a sort on `{startTime: -1, _id: -1}` is the index order; the
    /// indexes of version 1 are replaced. Every later migration that adds an index re-runs it (drop and create).
    private static var version2: String {
        EvcsmIndexes.definitions.map { name, keys in
            let columns = keys.map { key in
                let expression = SQLiteIndexedField.named(key.field)!.expression
                return key.ascending ? expression : expression + " DESC"
            }
            return "DROP INDEX IF EXISTS \(name);\nCREATE INDEX \(name) ON documents (ns, "
                + columns.joined(separator: ", ") + ");"
        }.joined(separator: "\n")
    }

    /// Brings a database file of any earlier version up to date.
    static func migrate(_ writer: some DatabaseWriter) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: version1) }
        migrator.registerMigration("v2-evcsm-indexes") { db in try db.execute(sql: version2) }
        migrator.registerMigration("v3-evcsm-indexes") { db in try db.execute(sql: version2) }
        // v4: `documents_user_status` (a driver's GetStatus, issue 13).
        migrator.registerMigration("v4-evcsm-indexes") { db in try db.execute(sql: version2) }
        try migrator.migrate(writer)
    }

    /// Writes a database file as version 1 left it, with `documents` stored (for migration tests).
    static func writeVersion1File(path: String, _ documents: [(Namespace, Document)]) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: version1)
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v1')")
            for (namespace, document) in documents { try insert(db, namespace, document) }
        }
        try queue.close()
    }

    /// The names of the indexes on the table (for tests).
    static func indexNames(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents'")
    }

    struct StoredDocument {
        let seq: Int64
        let document: Document
    }

    static func exists(_ db: Database, _ namespace: Namespace, id: BSONValue) throws -> Bool {
        let statement = try db.cachedStatement(
            sql: "SELECT EXISTS (SELECT 1 FROM documents WHERE ns = ? AND id_key = ?)")
        return try Bool.fetchOne(statement, arguments: [namespace.description, idKey(id)]) ?? false
    }

    static func insert(_ db: Database, _ namespace: Namespace, _ document: Document) throws {
        if case .string(let id)? = document["_id"], id.utf8.contains(0) {
            throw DataAPIError(.invalidParameter, "the embedded store does not support _id strings containing U+0000")
        }
        let statement = try db.cachedStatement(sql: "INSERT INTO documents (ns, id_key, body) VALUES (?, ?, ?)")
        try statement.execute(arguments: [
            namespace.description, idKey(document["_id"] ?? .null), body(document),
        ])
    }

    static func replace(_ db: Database, seq: Int64, _ document: Document) throws {
        let statement = try db.cachedStatement(sql: "UPDATE documents SET body = ? WHERE seq = ?")
        try statement.execute(arguments: [body(document), seq])
    }

    static func delete(_ db: Database, seq: Int64) throws {
        try db.cachedStatement(sql: "DELETE FROM documents WHERE seq = ?").execute(arguments: [seq])
    }

    /// The stored text: canonical Extended JSON, which keeps every type.
    private static func body(_ document: Document) -> String {
        ExtendedJSON.serialize(document, mode: .canonical)
    }

    /// Parses a row's `body` column (at `index`) without copying it.
    static func document(_ row: Row, atIndex index: Int) throws -> Document {
        do {
            return try row.withUnsafeData(atIndex: index) { data in
                try ExtendedJSON.parseDocument(data ?? Data(), maximumDepth: DataAPILimits.storedJSONDepth)
            }
        } catch {
            throw DataAPIError(.backendFailure, "a stored document cannot be read", underlying: error)
        }
    }

    /// A text key under which MongoDB-equal `_id` values collide (1, 1.0 and NumberLong(1) are one id).
    static func idKey(_ value: BSONValue) -> String {
        switch value {
        case .string(let s): return "s:" + s
        case .objectId(let oid): return "o:" + oid.hex
        case .int32, .int64, .double:
            if let n = value.int64Value { return "n:\(n)" }
            return "d:\(value.doubleValue ?? 0)"
        default: return "j:" + ExtendedJSON.serialize(normalized(value), mode: .canonical)
        }
    }

    private static func normalized(_ value: BSONValue) -> BSONValue {
        switch value {
        case .int32, .int64, .double:
            if let n = value.int64Value { return .int64(n) }
            return value
        case .array(let items): return .array(items.map(normalized))
        case .document(let d): return .document(Document(d.map { ($0.key, normalized($0.value)) }))
        default: return value
        }
    }
}
