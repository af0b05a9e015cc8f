import BSON
import GRDB

/// The table, its indexes and the SQL that narrows candidates.
enum SQLiteSchema {
    /// Marks an indexed text field that holds an array (it may match through any element).
    private static let arrayMarker = "x'00'"
    /// Marks an indexed date field that holds an array.
    private static let arrayDateMarker = "-9223372036854775808"

    private static func textExpression(_ field: String) -> String {
        "(CASE json_type(body, '$.\(field)') WHEN 'text' THEN json_extract(body, '$.\(field)') "
            + "WHEN 'array' THEN \(arrayMarker) END)"
    }

    private static func dateExpression(_ field: String) -> String {
        "(CASE json_type(body, '$.\(field)') WHEN 'object' THEN "
            + "CAST(json_extract(body, '$.\(field).\"$date\".\"$numberLong\"') AS INTEGER) "
            + "WHEN 'array' THEN \(arrayDateMarker) END)"
    }

    /// Top-level fields with a text expression index (the fields the functions filter on).
    static let textFields = ["sessionId", "chargingPointId", "status"]
    /// Top-level fields with a date expression index.
    static let dateFields = ["startTime"]

    static var createStatements: String {
        """
        CREATE TABLE documents (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            ns TEXT NOT NULL,
            id_key TEXT NOT NULL,
            body TEXT NOT NULL,
            UNIQUE (ns, id_key)
        );
        CREATE INDEX documents_session ON documents (ns, \(textExpression("sessionId")));
        CREATE INDEX documents_point_status ON documents (ns, \(textExpression("chargingPointId")), \
        \(textExpression("status")));
        CREATE INDEX documents_status ON documents (ns, \(textExpression("status")));
        CREATE INDEX documents_start ON documents (ns, \(dateExpression("startTime")));
        """
    }

    struct StoredDocument {
        let seq: Int64
        let document: Document
    }

    /// The SQL selecting a superset of the documents the filter matches, in insertion order.
    static func candidateQuery(_ namespace: Namespace, _ filter: Filter) -> (String, StatementArguments) {
        var clauses = ["ns = ?"]
        var arguments: StatementArguments = [namespace.description]
        var narrowed = Set<String>()
        for (path, condition) in filter.conjuncts {
            let field = path.description
            if field == "_id", !narrowed.contains(field) {
                switch condition {
                case .eq(let value):
                    clauses.append("id_key = ?")
                    _ = arguments.append(contentsOf: [idKey(value)])
                    narrowed.insert(field)
                case .isIn(let values):
                    clauses.append("id_key IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))")
                    _ = arguments.append(contentsOf: StatementArguments(values.map(idKey)))
                    narrowed.insert(field)
                default: break
                }
            } else if textFields.contains(field), !narrowed.contains(field) {
                let strings: [String]?
                switch condition {
                case .eq(.string(let s)): strings = [s]
                case .isIn(let values):
                    strings = values.allSatisfy({ $0.stringValue != nil }) ? values.compactMap(\.stringValue) : nil
                default: strings = nil
                }
                if let strings {
                    // An empty `$in` leaves only the array marker (a bare leading comma is a syntax error).
                    let marks = (Array(repeating: "?", count: strings.count) + [arrayMarker]).joined(separator: ", ")
                    clauses.append("\(textExpression(field)) IN (\(marks))")
                    _ = arguments.append(contentsOf: StatementArguments(strings))
                    narrowed.insert(field)
                }
            } else if dateFields.contains(field) {
                let expression = dateExpression(field)
                switch condition {
                case .eq(.datetime(let ms)):
                    clauses.append("(\(expression) = ? OR \(expression) = \(arrayDateMarker))")
                    _ = arguments.append(contentsOf: [ms])
                case .gt(.datetime(let ms)), .gte(.datetime(let ms)):
                    clauses.append("(\(expression) >= ? OR \(expression) = \(arrayDateMarker))")
                    _ = arguments.append(contentsOf: [ms])
                case .lt(.datetime(let ms)), .lte(.datetime(let ms)):
                    clauses.append("(\(expression) <= ? OR \(expression) = \(arrayDateMarker))")
                    _ = arguments.append(contentsOf: [ms])
                default: break
                }
            }
        }
        let sql = "SELECT seq, body FROM documents WHERE " + clauses.joined(separator: " AND ") + " ORDER BY seq"
        return (sql, arguments)
    }

    /// Candidate rows narrowed in SQL, then filtered in Swift.
    static func matching(_ db: Database, _ namespace: Namespace, _ filter: Filter) throws -> [StoredDocument] {
        let (sql, arguments) = candidateQuery(namespace, filter)
        var result = [StoredDocument]()
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() {
            let body: String = row["body"]
            let document: Document
            do {
                document = try ExtendedJSON.parseDocument(Array(body.utf8))
            } catch {
                throw DataAPIError(.backendFailure, "a stored document cannot be read", underlying: error)
            }
            if filter.matches(document) { result.append(StoredDocument(seq: row["seq"], document: document)) }
        }
        return result
    }

    static func exists(_ db: Database, _ namespace: Namespace, id: BSONValue) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM documents WHERE ns = ? AND id_key = ?)",
            arguments: [namespace.description, idKey(id)]) ?? false
    }

    static func insert(_ db: Database, _ namespace: Namespace, _ document: Document) throws {
        try db.execute(
            sql: "INSERT INTO documents (ns, id_key, body) VALUES (?, ?, ?)",
            arguments: [
                namespace.description, idKey(document["_id"] ?? .null),
                ExtendedJSON.serialize(document, mode: .canonical),
            ])
    }

    static func replace(_ db: Database, seq: Int64, _ document: Document) throws {
        try db.execute(
            sql: "UPDATE documents SET body = ? WHERE seq = ?",
            arguments: [ExtendedJSON.serialize(document, mode: .canonical), seq])
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
