import BSON

/// Dotted field paths (`a.b.0.c`) as MongoDB resolves them in queries and updates.
struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    let components: [String]

    init(_ dotted: String) throws(DataAPIError) {
        let parts = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !dotted.isEmpty, !parts.contains(where: \.isEmpty) else {
            throw DataAPIError(.invalidParameter, "invalid field path \"\(dotted)\"")
        }
        if let first = parts.first(where: { $0.hasPrefix("$") }) {
            throw DataAPIError(.invalidParameter, "unsupported operator \(first) in field path \"\(dotted)\"")
        }
        components = parts
    }

    var description: String { components.joined(separator: ".") }

    /// Whether one path is a prefix of the other (they address overlapping data).
    func overlaps(_ other: FieldPath) -> Bool {
        let n = min(components.count, other.components.count)
        return Array(components.prefix(n)) == Array(other.components.prefix(n))
    }

    // MARK: Query-side lookup

    /// Every value the path reaches, traversing arrays element-wise as MongoDB queries do;
    /// `nil` stands for "missing" on a branch.
    func candidates(in document: Document) -> [BSONValue?] {
        Self.candidates(.document(document), components[...])
    }

    private static func candidates(_ value: BSONValue, _ rest: ArraySlice<String>) -> [BSONValue?] {
        guard let key = rest.first else { return [value] }
        let tail = rest.dropFirst()
        switch value {
        case .document(let d):
            guard let next = d[key] else { return [nil] }
            return candidates(next, tail)
        case .array(let items):
            var found = [BSONValue?]()
            if let index = Int(key), index >= 0 {
                if index < items.count { found += candidates(items[index], tail) }
            }
            for item in items {
                if case .document = item { found += candidates(item, rest).filter { $0 != nil } }
            }
            return found.isEmpty ? [nil] : found
        default:
            return [nil]
        }
    }

    // MARK: Update-side access

    /// The value at exactly this path (array elements by index only), nil when missing.
    func value(in document: Document) -> BSONValue? {
        document.value(atPath: description)
    }

    /// Sets the value, creating intermediate documents; fails like MongoDB's PathNotViable when a
    /// component runs into a scalar.
    func set(_ newValue: BSONValue, in document: inout Document) throws(DataAPIError) {
        var root = BSONValue.document(document)
        try Self.set(newValue, in: &root, components[...], path: self)
        if case .document(let d) = root { document = d }
    }

    private static func set(
        _ newValue: BSONValue, in target: inout BSONValue, _ rest: ArraySlice<String>, path: FieldPath
    ) throws(DataAPIError) {
        guard let key = rest.first else {
            target = newValue
            return
        }
        let tail = rest.dropFirst()
        switch target {
        case .document(var d):
            var child = d[key] ?? (tail.isEmpty ? .null : .document(Document()))
            try set(newValue, in: &child, tail, path: path)
            d[key] = child
            target = .document(d)
        case .array(var items):
            guard let index = Int(key), index >= 0, index < 1_000_000 else {
                throw DataAPIError(.invalidParameter, "cannot create field \"\(key)\" in an array at path \"\(path)\"")
            }
            while items.count <= index { items.append(.null) }
            var child = items[index]
            if case .null = child, !tail.isEmpty { child = .document(Document()) }
            try set(newValue, in: &child, tail, path: path)
            items[index] = child
            target = .array(items)
        default:
            throw DataAPIError(
                .invalidParameter, "cannot create field \"\(key)\" in a non-object value at path \"\(path)\"")
        }
    }

    /// Removes the field; an array element becomes null (MongoDB's `$unset` on an index).
    func unset(in document: inout Document) {
        var root = BSONValue.document(document)
        Self.unset(in: &root, components[...])
        if case .document(let d) = root { document = d }
    }

    private static func unset(in target: inout BSONValue, _ rest: ArraySlice<String>) {
        guard let key = rest.first else { return }
        let tail = rest.dropFirst()
        switch target {
        case .document(var d):
            if tail.isEmpty {
                d[key] = nil
            } else if var child = d[key] {
                unset(in: &child, tail)
                d[key] = child
            }
            target = .document(d)
        case .array(var items):
            guard let index = Int(key), index >= 0, index < items.count else { return }
            if tail.isEmpty {
                items[index] = .null
            } else {
                unset(in: &items[index], tail)
            }
            target = .array(items)
        default:
            return
        }
    }
}
