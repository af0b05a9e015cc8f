import BSON
import GRDB

/// A top-level field the SQLite schema indexes, as the SQL expression its indexes store.
///
/// Each expression has one *indexed type*: a string for text fields (`CASE json_type … WHEN 'text'`), a
/// BSON date for date fields (canonical EJSON `{"$date": {"$numberLong": …}}` cast to INTEGER), a string
/// for `_id` (`id_key` = `"s:" + string`). For values of that type, and only for them, SQL compares and
/// orders the expression exactly as ``BSONOrder`` compares the values: text with SQLite's BINARY collation
/// (memcmp of UTF-8 bytes, MongoDB's simple collation), dates as Int64, `"s:"`-prefixed keys like their
/// strings. Every other value maps to NULL, or to a marker for arrays (`x'00'` for text, Int64.min for
/// dates; a real date of Int64.min, and a string with a NUL character, share it and are handled like an
/// array), so SQL can find those rows and leave them to Swift. (`_id` strings with a NUL are refused by
/// the SQLite backend: `id_key` is bound NUL-terminated.)
struct SQLiteIndexedField: Sendable, Hashable {
    enum Kind: Sendable, Hashable { case text, date, id }

    let name: String
    let kind: Kind
    /// The SQL texts below, built once per field (queries are planned on every request).
    private let sql: SQL

    private struct SQL: Sendable {
        let expression: String
        let typed: String
        let untypedTerms: [String]
        let arrayTerm: String?
        let notArray: String?
    }

    static let textFields = ["sessionId", "chargingPointId", "status", "userId"]
    static let dateFields = ["startTime", "lastActivity"]

    static let textArrayMarker = "x'00'"
    static let dateArrayMarker = "-9223372036854775808"

    private static let all: [String: SQLiteIndexedField] = {
        var all = ["_id": SQLiteIndexedField(name: "_id", kind: .id)]
        for name in textFields { all[name] = SQLiteIndexedField(name: name, kind: .text) }
        for name in dateFields { all[name] = SQLiteIndexedField(name: name, kind: .date) }
        return all
    }()

    private init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
        let expression = Self.expression(name, kind)
        let arrayTerm = Self.arrayTerm(expression, kind)
        sql = SQL(
            expression: expression, typed: Self.typed(expression, kind),
            untypedTerms: Self.untypedTerms(expression, kind, arrayTerm: arrayTerm), arrayTerm: arrayTerm,
            notArray: Self.notArray(expression, kind))
    }

    static func == (a: Self, b: Self) -> Bool { a.name == b.name && a.kind == b.kind }

    func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(kind)
    }

    /// The indexed field at a path, nil for paths the schema does not index.
    static func named(_ path: FieldPath) -> SQLiteIndexedField? { named(path.description) }

    static func named(_ name: String) -> SQLiteIndexedField? { all[name] }

    /// The expression, exactly as the indexes declare it (SQLite matches index expressions textually).
    var expression: String { sql.expression }

    private static func expression(_ name: String, _ kind: Kind) -> String {
        switch kind {
        case .id:
            return "id_key"
        case .text:
            // json_extract (SQLite 3.40) cuts a string at an escaped NUL, so such strings (`->` shows the
            // escape) take the array marker: SQL leaves them to Swift.
            return
                "(CASE json_type(body, '$.\(name)') WHEN 'text' THEN CASE WHEN instr(body -> '$.\(name)', '\\u0000') "
                + "THEN \(Self.textArrayMarker) ELSE json_extract(body, '$.\(name)') END "
                + "WHEN 'array' THEN \(Self.textArrayMarker) END)"
        case .date:
            return "(CASE json_type(body, '$.\(name)') WHEN 'object' THEN "
                + "CAST(json_extract(body, '$.\(name).\"$date\".\"$numberLong\"') AS INTEGER) "
                + "WHEN 'array' THEN \(Self.dateArrayMarker) END)"
        }
    }

    /// The expression, or with a unary `+` that keeps SQLite from choosing an index for the term (it is
    /// then checked on the rows another term found).
    func expression(seekable: Bool) -> String { seekable ? expression : "+" + expression }

    /// True exactly for values of the indexed type. Kept out of index selection (the filter's terms choose
    /// the index), checked on the rows the index search finds.
    var typed: String { sql.typed }

    private static func typed(_ expression: String, _ kind: Kind) -> String {
        let e = "+" + expression
        switch kind {
        case .id: return "\(e) >= 's:' AND \(e) < 's;'"
        case .text: return "\(e) >= '' AND \(e) < x''"
        case .date: return "\(e) > \(Self.dateArrayMarker)"
        }
    }

    /// Terms, each served by an index on the expression, that together select every value not of the
    /// indexed type (the expression is NULL or a marker, or `_id` is not a string).
    var untypedTerms: [String] { sql.untypedTerms }

    private static func untypedTerms(_ expression: String, _ kind: Kind, arrayTerm: String?) -> [String] {
        switch kind {
        case .id: return ["id_key < 's:'", "id_key >= 's;'"]
        case .text, .date: return ["\(expression) IS NULL"] + (arrayTerm.map { [$0] } ?? [])
        }
    }

    /// The rows whose value is an array (through which an equality or range may match): nil for `_id`,
    /// which is never an array.
    var arrayTerm: String? { sql.arrayTerm }

    private static func arrayTerm(_ expression: String, _ kind: Kind) -> String? {
        switch kind {
        case .id: return nil
        case .text: return "\(expression) = \(Self.textArrayMarker)"
        case .date: return "\(expression) = \(Self.dateArrayMarker)"
        }
    }

    /// Every row but the ``arrayTerm`` ones.
    var notArray: String? { sql.notArray }

    private static func notArray(_ expression: String, _ kind: Kind) -> String? {
        switch kind {
        case .id: return nil
        case .text: return "+\(expression) IS NOT \(Self.textArrayMarker)"
        case .date: return "+\(expression) IS NOT \(Self.dateArrayMarker)"
        }
    }

    /// The SQL value of an operand of the indexed type, nil for other operands, and for strings with a NUL
    /// (GRDB binds text NUL-terminated, so SQL would compare a truncated operand).
    func sqlValue(_ value: BSONValue) -> DatabaseValue? {
        if case .string(let s) = value, s.utf8.contains(0) { return nil }
        switch (kind, value) {
        case (.text, .string(let s)): return s.databaseValue
        case (.date, .datetime(let ms)): return ms.databaseValue
        case (.id, .string): return SQLiteSchema.idKey(value).databaseValue
        default: return nil
        }
    }
}
