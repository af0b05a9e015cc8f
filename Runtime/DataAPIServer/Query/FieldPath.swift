import BSON

/// Dotted field paths (`a.b.0.c`) as MongoDB resolves them in queries and updates.
struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    let components: [String]

    /// A path of at most ``DataAPILimits/maxPathComponents`` non-empty components, none starting with `$`.
    init(_ dotted: String) throws(DataAPIError) {
        // Counted before splitting: a path of a million components is refused without building them.
        let count = dotted.utf8.reduce(1) { $1 == UInt8(ascii: ".") ? $0 + 1 : $0 }
        if count > DataAPILimits.maxPathComponents {
            throw DataAPILimits.exceeded(
                "the number of components of the field path \(DataAPILimits.quoted(dotted))", count,
                limit: DataAPILimits.maxPathComponents, "path components")
        }
        let parts = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !dotted.isEmpty, !parts.contains(where: \.isEmpty) else {
            throw DataAPIError(.invalidParameter, "invalid field path \(DataAPILimits.quoted(dotted))")
        }
        if let first = parts.first(where: { $0.hasPrefix("$") }) {
            throw DataAPIError(
                .invalidParameter,
                "unsupported operator \(DataAPILimits.quoted(first)) in field path \(DataAPILimits.quoted(dotted))")
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
        guard let head = components.first, var current = document[head] else { return nil }
        for component in components.dropFirst() {
            switch current {
            case .document(let d):
                guard let next = d[component] else { return nil }
                current = next
            case .array(let items):
                guard let i = Int(component), i >= 0, i < items.count else { return nil }
                current = items[i]
            default:
                return nil
            }
        }
        return current
    }

    // Setting and unsetting move each nested document or array out of its parent while changing it
    // (`Document.modifyValue`, `BSONValue.takeDocument`), so a change copies nothing and costs O(depth)
    // however large the documents on the way: an update with thousands of paths stays linear.

    /// Sets the value, creating intermediate documents; fails like MongoDB's PathNotViable when a
    /// component runs into a scalar (the document is then unchanged).
    func set(_ newValue: BSONValue, in document: inout Document) throws(DataAPIError) {
        try Self.set(newValue, in: &document, components[...], path: self)
    }

    private static func set(
        _ newValue: BSONValue, in document: inout Document, _ rest: ArraySlice<String>, path: FieldPath
    ) throws(DataAPIError) {
        guard let key = rest.first else { return }
        let tail = rest.dropFirst()
        guard !tail.isEmpty else {
            document[key] = newValue
            return
        }
        try document.modifyValue(forKey: key) { (child: inout BSONValue?) throws(DataAPIError) in
            var value = child.take() ?? .document(Document())
            defer { child = value }
            try set(newValue, in: &value, tail, path: path)
        }
    }

    private static func set(
        _ newValue: BSONValue, in target: inout BSONValue, _ rest: ArraySlice<String>, path: FieldPath
    ) throws(DataAPIError) {
        guard let key = rest.first else { return }
        if var d = target.takeDocument() {
            defer { target = .document(d) }
            try set(newValue, in: &d, rest, path: path)
        } else if var items = target.takeArray() {
            defer { target = .array(items) }
            // Update paths are checked against the bound when parsed; this keeps the bound here too.
            guard let index = Int(key), index >= 0, index <= DataAPILimits.maxArrayIndex else {
                throw DataAPIError(
                    .invalidParameter,
                    "cannot create field \(DataAPILimits.quoted(key)) in an array at path "
                        + "\(DataAPILimits.quoted(path.description))")
            }
            while items.count <= index { items.append(.null) }
            let tail = rest.dropFirst()
            guard !tail.isEmpty else {
                items[index] = newValue
                return
            }
            if case .null = items[index] { items[index] = .document(Document()) }
            try set(newValue, in: &items[index], tail, path: path)
        } else {
            throw DataAPIError(
                .invalidParameter, "cannot create field \"\(key)\" in a non-object value at path \"\(path)\"")
        }
    }

    /// Removes the field; an array element becomes null (MongoDB's `$unset` on an index).
    func unset(in document: inout Document) {
        Self.unset(in: &document, components[...])
    }

    private static func unset(in document: inout Document, _ rest: ArraySlice<String>) {
        guard let key = rest.first else { return }
        let tail = rest.dropFirst()
        guard !tail.isEmpty else {
            document[key] = nil
            return
        }
        document.modifyValue(forKey: key) { child in
            guard var value = child.take() else { return }
            unset(in: &value, tail)
            child = value
        }
    }

    private static func unset(in target: inout BSONValue, _ rest: ArraySlice<String>) {
        if var d = target.takeDocument() {
            unset(in: &d, rest)
            target = .document(d)
        } else if let count = target.arrayValue?.count, let index = rest.first.flatMap({ Int($0) }), index >= 0,
            index < count, var items = target.takeArray()
        {
            let tail = rest.dropFirst()
            if tail.isEmpty {
                items[index] = .null
            } else {
                unset(in: &items[index], tail)
            }
            target = .array(items)
        }
    }
}
