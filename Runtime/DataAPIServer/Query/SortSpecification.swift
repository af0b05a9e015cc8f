import BSON

/// A sort specification on one or more dotted paths (`1` ascending, `-1` descending). Ascending
/// uses an array's smallest element, descending its largest; missing sorts as null. Ties keep the
/// input order (the SQLite backend's input order is insertion order).
struct SortSpecification: Sendable {
    let document: Document
    let keys: [(FieldPath, Bool)]

    init(_ document: Document) throws(DataAPIError) {
        self.document = document
        var keys = [(FieldPath, Bool)]()
        for (key, value) in document {
            guard let direction = value.doubleValue, direction == 1 || direction == -1 else {
                throw DataAPIError(.invalidParameter, "sort direction for \"\(key)\" must be 1 or -1")
            }
            keys.append((try FieldPath(key), direction == 1))
        }
        self.keys = keys
    }

    /// The documents in sort order; equal keys keep their input order.
    func sorted(_ documents: [Document]) -> [Document] {
        guard !keys.isEmpty else { return documents }
        let keyed = documents.enumerated().map { index, document in (index, document, sortKeys(of: document)) }
        return keyed.sorted { a, b in
            let c = compare(a.2, b.2)
            return c != 0 ? c < 0 : a.0 < b.0
        }.map(\.1)
    }

    /// The value each key sorts a document by (one per key, nil for missing).
    func sortKeys(of document: Document) -> [BSONValue?] {
        keys.map { path, ascending in sortKey(path.candidates(in: document), ascending) }
    }

    /// Three-way comparison of two documents' ``sortKeys(of:)`` under the keys' directions: negative when
    /// `a` sorts first, zero on a tie.
    func compare(_ a: [BSONValue?], _ b: [BSONValue?]) -> Int {
        for (i, (_, ascending)) in keys.enumerated() {
            let c = BSONOrder.compare(a[i], b[i])
            if c != 0 { return ascending ? c : -c }
        }
        return 0
    }

    private func sortKey(_ found: [BSONValue?], _ ascending: Bool) -> BSONValue? {
        var flat = [BSONValue?]()
        for value in found {
            if case .array(let items)? = value {
                flat += items.isEmpty ? [nil] : items.map { Optional($0) }
            } else {
                flat.append(value)
            }
        }
        return flat.dropFirst().reduce(flat.first ?? nil) { best, next in
            let c = BSONOrder.compare(next, best)
            return (ascending ? c < 0 : c > 0) ? next : best
        }
    }
}
