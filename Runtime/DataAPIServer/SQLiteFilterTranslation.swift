import BSON
import GRDB

/// SQL text with its arguments.
struct SQLFragment: Sendable {
    var sql: String
    var arguments: [DatabaseValue] = []

    /// The arguments for GRDB (mapped with a closure: GRDB's initializer for `[DatabaseValue]` maps with a
    /// key path, which is instantiated on every call).
    var statementArguments: StatementArguments {
        StatementArguments(arguments.lazy.map { $0 as (any DatabaseValueConvertible)? })
    }

    static func joined(_ parts: [SQLFragment], _ separator: String) -> SQLFragment {
        SQLFragment(
            sql: parts.map { $0.sql }.joined(separator: separator), arguments: parts.flatMap { $0.arguments })
    }
}

/// A filter as SQL conditions on the indexed fields.
///
/// *Exact* conditions decide a condition exactly like ``Filter/matches(_:)`` for every row whose
/// referenced fields are not arrays (``SQLiteIndexedField/notArray``; rows with an array there are found
/// through ``SQLiteIndexedField/arrayTerm`` and decided in Swift). *Narrowing* conditions hold for every
/// document the filter matches, arrays included: a superset, for rows Swift decides anyway.
struct SQLiteFilterTranslation {
    /// Exact conditions, ANDed.
    private(set) var exact = [SQLFragment]()
    /// The fields the exact conditions read.
    private(set) var fields = [SQLiteIndexedField]()
    /// True when the exact conditions are the whole filter (no condition is left to Swift).
    private(set) var complete = true
    /// Narrowing conditions, ANDed, with their expressions kept out of index selection (`+`).
    private(set) var narrowing = [SQLFragment]()
    /// The narrowing condition on `_id` (equality or `$in`), when there is one: a unique-key lookup.
    private(set) var idLookup: SQLFragment?
    /// The text fields with an exact top-level equality (the equality prefix an index can seek on).
    private(set) var equalities = Set<String>()

    /// What the exact conditions use of SQLite's per-statement bounds.
    private var budget = SQLStatementBudget()

    /// - Parameter sortFields: fields whose values the query already requires to be of the indexed type
    ///   (a keyset `$or` on two of them becomes one row-value comparison).
    init(_ filter: Filter, sortFields: Set<SQLiteIndexedField>) {
        addConjunction(filter.root, sortFields)
        for (field, lower, upper) in bounds {
            for bound in [lower, upper].compactMap({ $0 }) {
                // `addBound` took only operands of the indexed type, which always translate.
                if let condition = Self.exactCondition(field, bound) {
                    exact.append(condition)
                } else {
                    complete = false
                }
            }
        }
        for (path, condition) in filter.conjuncts {
            guard let field = SQLiteIndexedField.named(path) else { continue }
            if field.kind == .id {
                if idLookup == nil, let lookup = Self.idNarrowing(condition) { idLookup = lookup }
            } else if let clause = Self.narrowing(field, condition), SQLStatementBudget.fits(clause, after: narrowing) {
                narrowing.append(clause)
            }
        }
    }

    private mutating func addConjunction(_ node: Filter.Node, _ sortFields: Set<SQLiteIndexedField>) {
        switch node {
        case .all(let children):
            for child in children { addConjunction(child, sortFields) }
        case .field(let path, let conditions):
            for condition in conditions {
                if let field = SQLiteIndexedField.named(path), addBound(field, condition) {
                    note(field)
                } else if let (clause, field) = Self.exactField(path, [condition]), admit(clause, groups: 1) {
                    exact.append(clause)
                    note(field)
                    if case .eq = condition, field.kind == .text { equalities.insert(field.name) }
                } else {
                    complete = false
                }
            }
        case .any(let children):
            if let keyset = Self.keyset(children, sortFields) {
                _ = addBound(keyset.fields[0], keyset.bound)
                exact.append(keyset.rowValue)
                keyset.fields.forEach { note($0) }
            } else if let (clause, used) = Self.exactNode(node, sortFields), admit(clause, groups: used.count) {
                exact.append(clause)
                used.forEach { note($0) }
            } else {
                complete = false
            }
        }
    }

    /// The tightest lower and upper bound of each field with range conditions at the top level. Only they
    /// become SQL (the looser ones follow from them): SQLite's planner, seeing several bounds on one
    /// expression, takes the range for more selective than an equality on another field and would pick
    /// the wrong index (`{chargingPointId, startTime: {$gte, $lte}}` + a cursor: `documents_start`
    /// instead of `documents_point_start`).
    private var bounds = [(SQLiteIndexedField, lower: Filter.Condition?, upper: Filter.Condition?)]()

    /// Records a range condition as a bound; false for other conditions and operands not of the indexed type.
    private mutating func addBound(_ field: SQLiteIndexedField, _ condition: Filter.Condition) -> Bool {
        let isUpper: Bool
        switch condition {
        case .lt(let operand), .lte(let operand):
            guard field.sqlValue(operand) != nil else { return false }
            isUpper = true
        case .gt(let operand), .gte(let operand):
            guard field.sqlValue(operand) != nil else { return false }
            isUpper = false
        default:
            return false
        }
        guard let i = bounds.firstIndex(where: { $0.0 == field }) else {
            bounds.append((field, isUpper ? nil : condition, isUpper ? condition : nil))
            return true
        }
        let current = isUpper ? bounds[i].upper : bounds[i].lower
        let tightest = current.map { Self.tighter($0, condition, upper: isUpper) } ?? condition
        if isUpper { bounds[i].upper = tightest } else { bounds[i].lower = tightest }
        return true
    }

    /// The bound that implies the other: the smaller upper (the larger lower) one, the strict one on a tie.
    private static func tighter(_ a: Filter.Condition, _ b: Filter.Condition, upper: Bool) -> Filter.Condition {
        func parts(_ c: Filter.Condition) -> (BSONValue, Bool) {
            switch c {
            case .lt(let v), .gt(let v): return (v, true)
            case .lte(let v), .gte(let v): return (v, false)
            default: return (.null, false)
            }
        }
        let ((x, strictA), (y, _)) = (parts(a), parts(b))
        let c = BSONOrder.compare(x, y)
        if c == 0 { return strictA ? a : b }
        return (c < 0) == upper ? a : b
    }

    private mutating func admit(_ clause: SQLFragment, groups: Int) -> Bool { budget.admit(clause, groups: groups) }

    private mutating func note(_ field: SQLiteIndexedField) {
        if !fields.contains(field) { fields.append(field) }
    }

    /// The whole node as one exact condition, or nil when any part of it is not exact.
    private static func exactNode(
        _ node: Filter.Node, _ sortFields: Set<SQLiteIndexedField>
    ) -> (SQLFragment, [SQLiteIndexedField])? {
        switch node {
        case .field(let path, let conditions):
            return exactField(path, conditions).map { ($0.0, [$0.1]) }
        case .all(let children), .any(let children):
            let isAny: Bool
            if case .any = node { isAny = true } else { isAny = false }
            if isAny, let keyset = keyset(children, sortFields) {
                guard let bound = exactCondition(keyset.fields[0], keyset.bound) else { return nil }
                let sql = "(\(bound.sql) AND \(keyset.rowValue.sql))"
                return (SQLFragment(sql: sql, arguments: bound.arguments + keyset.rowValue.arguments), keyset.fields)
            }
            var parts = [SQLFragment]()
            var used = [SQLiteIndexedField]()
            for child in children {
                guard let (part, fields) = exactNode(child, sortFields) else { return nil }
                parts.append(part)
                used += fields
            }
            if parts.isEmpty { return (SQLFragment(sql: isAny ? "0" : "1"), []) }
            let joined = SQLFragment.joined(parts, isAny ? " OR " : " AND ")
            return (SQLFragment(sql: "(" + joined.sql + ")", arguments: joined.arguments), used)
        }
    }

    private static func exactField(
        _ path: FieldPath, _ conditions: [Filter.Condition]
    ) -> (SQLFragment, SQLiteIndexedField)? {
        guard let field = SQLiteIndexedField.named(path) else { return nil }
        var parts = [SQLFragment]()
        for condition in conditions {
            guard let part = exactCondition(field, condition) else { return nil }
            parts.append(part)
        }
        let joined = SQLFragment.joined(parts, " AND ")
        return (SQLFragment(sql: "(" + joined.sql + ")", arguments: joined.arguments), field)
    }

    /// One condition on a field: exact for rows whose value is not an array. A value of another type
    /// than the operand's never matches (MongoDB's type bracketing), and is NULL (or another bracket's
    /// key prefix, for `_id`) in SQL, so it does not match there either.
    private static func exactCondition(_ field: SQLiteIndexedField, _ condition: Filter.Condition) -> SQLFragment? {
        let e = field.expression
        func compare(_ op: String, _ operand: BSONValue) -> SQLFragment? {
            guard let value = field.sqlValue(operand) else { return nil }
            var sql = "\(e) \(op) ?"
            // `_id` keys of other types sort before "s:" (d:, j:, n:, o:): keep the range inside strings.
            if field.kind == .id { sql += op.hasPrefix("<") ? " AND \(e) >= 's:'" : " AND \(e) < 's;'" }
            return SQLFragment(sql: sql, arguments: [value])
        }
        switch condition {
        case .eq(let operand):
            guard let value = field.sqlValue(operand) else { return nil }
            return SQLFragment(sql: "\(e) = ?", arguments: [value])
        case .isIn(let operands):
            let values = operands.compactMap(field.sqlValue)
            guard values.count == operands.count else { return nil }
            if values.isEmpty { return SQLFragment(sql: "0") }
            let marks = Array(repeating: "?", count: values.count).joined(separator: ", ")
            return SQLFragment(sql: "\(e) IN (\(marks))", arguments: values)
        case .gt(let operand): return compare(">", operand)
        case .gte(let operand): return compare(">=", operand)
        case .lt(let operand): return compare("<", operand)
        case .lte(let operand): return compare("<=", operand)
        case .ne, .notIn, .exists, .not: return nil
        }
    }

    /// The keyset cursor `{$or: [{a: {$lt: X}}, {a: X, b: {$lt: Y}}]}` (or `$gt`) on two sort fields:
    /// the bound `a <= X` and the row value `(a, b) < (X, Y)`. For rows where both are of the indexed type
    /// (the query requires it for sort fields) that is exactly the `$or`; the bound is the index seek
    /// (SQLite 3.40 seeks with row values only on plain columns, not on expressions), the row value checks
    /// the few ties at `X`.
    private static func keyset(
        _ children: [Filter.Node], _ sortFields: Set<SQLiteIndexedField>
    ) -> (rowValue: SQLFragment, bound: Filter.Condition, fields: [SQLiteIndexedField])? {
        guard children.count == 2, case .all(let first) = children[0], case .all(let second) = children[1],
            first.count == 1, case .field(let a, let strict) = first[0], strict.count == 1, second.count == 2
        else { return nil }
        var equal: BSONValue?
        var tie: (FieldPath, Filter.Condition)?
        for node in second {
            guard case .field(let path, let conditions) = node, conditions.count == 1 else { return nil }
            if path == a, case .eq(let value) = conditions[0] { equal = value } else { tie = (path, conditions[0]) }
        }
        guard let equal, let (b, tieCondition) = tie,
            let fieldA = SQLiteIndexedField.named(a), let fieldB = SQLiteIndexedField.named(b),
            sortFields.contains(fieldA), sortFields.contains(fieldB), fieldA != fieldB
        else { return nil }
        let op: String
        let bound: Filter.Condition
        let y: BSONValue
        switch (strict[0], tieCondition) {
        case (.lt(let x), .lt(let w)) where x == equal: (op, bound, y) = ("<", .lte(x), w)
        case (.gt(let x), .gt(let w)) where x == equal: (op, bound, y) = (">", .gte(x), w)
        default: return nil
        }
        guard let xValue = fieldA.sqlValue(equal), let yValue = fieldB.sqlValue(y) else { return nil }
        let rowValue = SQLFragment(
            sql: "(\(fieldA.expression), \(fieldB.expression)) \(op) (?, ?)", arguments: [xValue, yValue])
        return (rowValue, bound, [fieldA, fieldB])
    }

    /// A superset condition on a text or date field: also the rows where it is an array (marker).
    private static func narrowing(_ field: SQLiteIndexedField, _ condition: Filter.Condition) -> SQLFragment? {
        let e = field.expression(seekable: false)
        let marker = field.kind == .text ? SQLiteIndexedField.textArrayMarker : SQLiteIndexedField.dateArrayMarker
        switch condition {
        case .eq(let operand):
            guard let value = field.sqlValue(operand) else { return nil }
            return SQLFragment(sql: "\(e) IN (?, \(marker))", arguments: [value])
        case .isIn(let operands):
            let values = operands.compactMap(field.sqlValue)
            guard values.count == operands.count else { return nil }
            let marks = (Array(repeating: "?", count: values.count) + [marker]).joined(separator: ", ")
            return SQLFragment(sql: "\(e) IN (\(marks))", arguments: values)
        case .gt(let operand), .gte(let operand), .lt(let operand), .lte(let operand):
            guard let value = field.sqlValue(operand) else { return nil }
            let op: String
            switch condition {
            case .gt: op = ">"
            case .gte: op = ">="
            case .lt: op = "<"
            default: op = "<="
            }
            return SQLFragment(sql: "(\(e) \(op) ? OR \(e) = \(marker))", arguments: [value])
        default:
            return nil
        }
    }

    /// `_id` equality or `$in`, for any operand types: MongoDB-equal ids share their `id_key`.
    private static func idNarrowing(_ condition: Filter.Condition) -> SQLFragment? {
        switch condition {
        case .eq(let value):
            return SQLFragment(sql: "id_key = ?", arguments: [SQLiteSchema.idKey(value).databaseValue])
        case .isIn(let values):
            if values.isEmpty { return SQLFragment(sql: "0") }
            let marks = Array(repeating: "?", count: values.count).joined(separator: ", ")
            return SQLFragment(
                sql: "id_key IN (\(marks))", arguments: values.map { SQLiteSchema.idKey($0).databaseValue })
        default:
            return nil
        }
    }
}
