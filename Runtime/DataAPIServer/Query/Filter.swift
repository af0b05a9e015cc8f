import BSON

/// A parsed query filter: implicit equality (also on array elements), `$eq $ne $gt $gte $lt $lte
/// $in $nin $exists $not` on dotted paths, combined with `$and` / `$or`. Anything else is rejected
/// with a 400 naming the operator.
struct Filter: Sendable {
    /// One test on the values found at a path.
    indirect enum Condition: Sendable {
        case eq(BSONValue), ne(BSONValue), gt(BSONValue), gte(BSONValue), lt(BSONValue), lte(BSONValue)
        case isIn([BSONValue]), notIn([BSONValue]), exists(Bool), not([Condition])
    }

    /// A node of the filter tree.
    indirect enum Node: Sendable {
        case all([Node]), any([Node]), field(FieldPath, [Condition])
    }

    /// The filter as the client sent it (the MongoDB backend forwards it).
    let document: Document
    let root: Node

    /// Matches every document.
    static let everything = Filter()

    private init() {
        document = Document()
        root = .all([])
    }

    init(_ document: Document) throws(DataAPIError) {
        self.document = document
        root = try Self.parse(document)
    }

    private static func parse(_ document: Document) throws(DataAPIError) -> Node {
        var nodes = [Node]()
        for (key, value) in document {
            switch key {
            case "$and", "$or":
                guard case .array(let items) = value, !items.isEmpty else {
                    throw DataAPIError(.invalidParameter, "\(key) needs a non-empty array of filters")
                }
                var children = [Node]()
                for item in items {
                    guard case .document(let child) = item else {
                        throw DataAPIError(.invalidParameter, "\(key) entries must be objects")
                    }
                    children.append(try parse(child))
                }
                nodes.append(key == "$and" ? .all(children) : .any(children))
            case let op where op.hasPrefix("$"):
                throw DataAPIError(.invalidParameter, "unsupported query operator \(op)")
            default:
                let path = try FieldPath(key)
                if case .document(let spec) = value, let first = spec.keys.first, first.hasPrefix("$") {
                    nodes.append(.field(path, try parseConditions(spec, path: path)))
                } else {
                    nodes.append(.field(path, [.eq(value)]))
                }
            }
        }
        return .all(nodes)
    }

    private static func parseConditions(_ spec: Document, path: FieldPath) throws(DataAPIError) -> [Condition] {
        var conditions = [Condition]()
        for (op, operand) in spec {
            switch op {
            case "$eq": conditions.append(.eq(operand))
            case "$ne": conditions.append(.ne(operand))
            case "$gt": conditions.append(.gt(operand))
            case "$gte": conditions.append(.gte(operand))
            case "$lt": conditions.append(.lt(operand))
            case "$lte": conditions.append(.lte(operand))
            case "$in", "$nin":
                guard case .array(let values) = operand else {
                    throw DataAPIError(.invalidParameter, "\(op) on \"\(path)\" needs an array")
                }
                if values.count > DataAPILimits.maxInListValues {
                    throw DataAPILimits.exceeded(
                        "the number of \(op) values on \(DataAPILimits.quoted(path.description))", values.count,
                        limit: DataAPILimits.maxInListValues, "values")
                }
                conditions.append(op == "$in" ? .isIn(values) : .notIn(values))
            case "$exists":
                guard let flag = operand.boolValue ?? operand.doubleValue.map({ $0 != 0 }) else {
                    throw DataAPIError(.invalidParameter, "$exists on \"\(path)\" needs a boolean")
                }
                conditions.append(.exists(flag))
            case "$not":
                guard case .document(let inner) = operand, let first = inner.keys.first, first.hasPrefix("$") else {
                    throw DataAPIError(.invalidParameter, "$not on \"\(path)\" needs an operator object")
                }
                conditions.append(.not(try parseConditions(inner, path: path)))
            default:
                let kind = op.hasPrefix("$") ? "unsupported query operator" : "unknown operator"
                throw DataAPIError(.invalidParameter, "\(kind) \(op) on \"\(path)\"")
            }
        }
        return conditions
    }

    // MARK: Matching

    func matches(_ document: Document) -> Bool { Self.evaluate(root, document) }

    private static func evaluate(_ node: Node, _ document: Document) -> Bool {
        switch node {
        case .all(let children): return children.allSatisfy { evaluate($0, document) }
        case .any(let children): return children.contains { evaluate($0, document) }
        case .field(let path, let conditions):
            let found = path.candidates(in: document)
            return conditions.allSatisfy { test($0, found) }
        }
    }

    private static func test(_ condition: Condition, _ found: [BSONValue?]) -> Bool {
        switch condition {
        case .eq(let operand): return found.contains { equals($0, operand) }
        case .ne(let operand): return !found.contains { equals($0, operand) }
        case .isIn(let operands): return found.contains { value in operands.contains { equals(value, $0) } }
        case .notIn(let operands): return !found.contains { value in operands.contains { equals(value, $0) } }
        case .exists(let flag): return found.contains { $0 != nil } == flag
        case .not(let inner): return !inner.allSatisfy { test($0, found) }
        case .gt(let operand): return found.contains { compares($0, operand) { $0 > 0 } }
        case .gte(let operand): return found.contains { compares($0, operand) { $0 >= 0 } }
        case .lt(let operand): return found.contains { compares($0, operand) { $0 < 0 } }
        case .lte(let operand): return found.contains { compares($0, operand) { $0 <= 0 } }
        }
    }

    /// Equality against a value or, when the value is an array, against any of its elements.
    private static func equals(_ value: BSONValue?, _ operand: BSONValue) -> Bool {
        if BSONOrder.equal(value, operand) { return true }
        if case .array(let items)? = value { return items.contains { BSONOrder.equal($0, operand) } }
        return false
    }

    /// Range comparison within one type bracket (MongoDB never matches `{$gt: 5}` against a string). NaN is
    /// neither greater nor less than any number, itself included; `$gte`/`$lte` match NaN with NaN (equal).
    private static func compares(_ value: BSONValue?, _ operand: BSONValue, _ accept: (Int) -> Bool) -> Bool {
        func isNaN(_ v: BSONValue?) -> Bool { v?.doubleValue?.isNaN ?? false }
        func single(_ v: BSONValue?) -> Bool {
            guard BSONOrder.typeRank(v) == BSONOrder.typeRank(operand) else { return false }
            if isNaN(v) || isNaN(operand) { return isNaN(v) && isNaN(operand) && accept(0) }
            return accept(BSONOrder.compare(v, operand))
        }
        if single(value) { return true }
        if case .array(let items)? = value { return items.contains { single($0) } }
        return false
    }

    // MARK: Facts for upserts and index narrowing

    /// The `(path, condition)` pairs that every matching document must satisfy (top level and `$and`).
    var conjuncts: [(FieldPath, Condition)] {
        var result = [(FieldPath, Condition)]()
        func walk(_ node: Node) {
            switch node {
            case .all(let children): children.forEach(walk)
            case .any: break
            case .field(let path, let conditions): result += conditions.map { (path, $0) }
            }
        }
        walk(root)
        return result
    }

    /// The fields an upsert seeds its new document with: equality conditions, in filter order.
    var equalityFields: [(FieldPath, BSONValue)] {
        conjuncts.compactMap { path, condition in
            if case .eq(let value) = condition { return (path, value) }
            return nil
        }
    }
}
