import BSON

/// An aggregation expression: a literal, a `"$field.path"` reference, or an object of expressions.
indirect enum Expression: Sendable {
    case literal(BSONValue)
    case field(FieldPath)
    case object([(String, Expression)])
    case array([Expression])

    init(_ value: BSONValue) throws(DataAPIError) {
        switch value {
        case .string(let s) where s.hasPrefix("$$"):
            throw DataAPIError(.invalidParameter, "unsupported aggregation variable \(s)")
        case .string(let s) where s.hasPrefix("$"):
            self = .field(try FieldPath(String(s.dropFirst())))
        case .document(let d):
            if let first = d.keys.first, first.hasPrefix("$") {
                guard first == "$literal", d.count == 1, let literal = d[first] else {
                    throw DataAPIError(.invalidParameter, "unsupported expression operator \(first)")
                }
                self = .literal(literal)
                return
            }
            var fields = [(String, Expression)]()
            for (key, item) in d { fields.append((key, try Expression(item))) }
            self = .object(fields)
        case .array(let items):
            var elements = [Expression]()
            for item in items { elements.append(try Expression(item)) }
            self = .array(elements)
        default:
            self = .literal(value)
        }
    }

    /// The value of the expression for a document; nil when a referenced field is missing.
    func evaluate(_ document: Document) -> BSONValue? {
        switch self {
        case .literal(let value): return value
        case .field(let path): return Self.resolve(.document(document), path.components[...])
        case .object(let fields):
            var result = Document()
            for (key, expression) in fields {
                if let value = expression.evaluate(document) { result[key] = value }
            }
            return .document(result)
        case .array(let elements):
            return .array(elements.map { $0.evaluate(document) ?? .null })
        }
    }

    /// Aggregation path semantics: a path through an array yields the array of the elements' values.
    private static func resolve(_ value: BSONValue, _ rest: ArraySlice<String>) -> BSONValue? {
        guard let key = rest.first else { return value }
        switch value {
        case .document(let d):
            guard let next = d[key] else { return nil }
            return resolve(next, rest.dropFirst())
        case .array(let items):
            return .array(
                items.compactMap { item in
                    if case .document = item { return resolve(item, rest) }
                    return nil
                })
        default:
            return nil
        }
    }
}

/// A projection: inclusion (`{a: 1}`, `_id` kept unless `_id: 0`) or exclusion (`{a: 0}`), on dotted
/// paths. In an aggregation `$project`, `"$path"` references and `$literal` compute new fields.
struct Projection: Sendable {
    indirect enum Node: Sendable {
        case include, exclude, computed(Expression)
        case branch([String: Node])
    }

    let document: Document
    let tree: [String: Node]
    let inclusive: Bool
    private let computedOrder: [String]

    init(_ document: Document, allowExpressions: Bool) throws(DataAPIError) {
        self.document = document
        var tree = [String: Node]()
        var mode: Bool?
        var computedOrder = [String]()
        for (key, value) in document {
            let path = try FieldPath(key)
            let node: Node
            switch value {
            case .bool(let flag): node = flag ? .include : .exclude
            case let number where number.isNumber: node = number.doubleValue != 0 ? .include : .exclude
            default:
                guard allowExpressions else {
                    throw DataAPIError(.invalidParameter, "unsupported projection value for \"\(key)\"")
                }
                // Computed values are only applied to top-level fields; refuse rather than drop them.
                guard path.components.count == 1 else {
                    throw DataAPIError(.invalidParameter, "unsupported computed field on a dotted path \"\(key)\"")
                }
                node = .computed(try Expression(value))
                computedOrder.append(key)
            }
            if key != "_id" {
                let including = !Self.isExclude(node)
                if let mode, mode != including {
                    throw DataAPIError(
                        .invalidParameter, "cannot mix inclusion and exclusion in a projection (field \"\(key)\")")
                }
                mode = including
            }
            try Self.insert(node, at: path.components[...], into: &tree, key: key)
        }
        self.tree = tree
        self.inclusive = mode ?? (tree["_id"].map { !Self.isExclude($0) } ?? false)
        self.computedOrder = computedOrder
    }

    private static func isExclude(_ node: Node) -> Bool {
        if case .exclude = node { return true }
        return false
    }

    private static func insert(
        _ node: Node, at path: ArraySlice<String>, into tree: inout [String: Node], key: String
    )
        throws(DataAPIError)
    {
        guard let head = path.first else { return }
        if path.count == 1 {
            guard tree[head] == nil else {
                throw DataAPIError(.invalidParameter, "projection path collision at \"\(key)\"")
            }
            tree[head] = node
            return
        }
        // Taken out of the tree while it grows, so the branch is not copied for every path under it.
        var sub: [String: Node]
        switch tree.removeValue(forKey: head) {
        case nil: sub = [:]
        case .branch(let existing)?: sub = existing
        default: throw DataAPIError(.invalidParameter, "projection path collision at \"\(key)\"")
        }
        try insert(node, at: path.dropFirst(), into: &sub, key: key)
        tree[head] = .branch(sub)
    }

    /// Applies the projection.
    func apply(_ document: Document) -> Document {
        if document.isEmpty && tree.isEmpty { return document }
        if tree.isEmpty { return document }
        var result = inclusive ? Self.include(document, tree, root: document) : Self.exclude(document, tree)
        if inclusive {
            // `_id` stays unless excluded explicitly.
            if tree["_id"] == nil, let id = document["_id"] {
                var withId = Document()
                withId["_id"] = id
                for (key, value) in result { withId[key] = value }
                result = withId
            }
            for key in computedOrder where !key.contains(".") {
                if case .computed(let expression)? = tree[key] { result[key] = expression.evaluate(document) }
            }
        }
        return result
    }

    private static func include(_ document: Document, _ tree: [String: Node], root: Document) -> Document {
        var result = Document()
        for (key, value) in document {
            switch tree[key] {
            case .include?: result[key] = value
            case .branch(let sub)?:
                switch value {
                case .document(let d): result[key] = .document(include(d, sub, root: root))
                case .array(let items):
                    result[key] = .array(
                        items.compactMap { item in
                            if case .document(let d) = item { return .document(include(d, sub, root: root)) }
                            return nil
                        })
                default: break
                }
            default: break
            }
        }
        return result
    }

    private static func exclude(_ document: Document, _ tree: [String: Node]) -> Document {
        var result = Document()
        for (key, value) in document {
            switch tree[key] {
            case .exclude?: continue
            case .branch(let sub)?:
                switch value {
                case .document(let d): result[key] = .document(exclude(d, sub))
                case .array(let items):
                    result[key] = .array(
                        items.map { item in
                            if case .document(let d) = item { return .document(exclude(d, sub)) }
                            return item
                        })
                default: result[key] = value
                }
            default: result[key] = value
            }
        }
        return result
    }
}
