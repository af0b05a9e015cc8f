import BSON
import GRDB

extension SQLiteQuery {
    /// ``run(_:skip:limit:)``'s documents as canonical Extended JSON.
    ///
    /// The stored text is the canonical Extended JSON of the document (``SQLiteSchema``, written by the
    /// same serializer), so when SQL alone filters and orders the rows (the common case, evcsm's queries)
    /// each row's text is copied into the result as it is, never parsed. Otherwise the documents are
    /// parsed, matched and sorted in Swift as ``run(_:skip:limit:)`` does, and serialized.
    func runCanonical(_ db: Database, skip: Int = 0, limit: Int? = nil) throws -> SerializedDocuments {
        let need = limit.map { skip + $0 }
        switch (swiftSort, strategy) {
        case (nil, .lookup(let query, exact: true)):
            return try Self.storedText(db, query, skip: skip, need: need)
        case (nil, .indexed(let main, let othersQuery, exact: true)):
            let others = try otherRows(db, othersQuery)
            if others.isEmpty { return try Self.storedText(db, Self.limited(main, skip: skip, need: need)) }
            return SerializedDocuments(
                try merged(db, main, exact: true, others: others, skip: skip, need: need).map(\.document))
        default:
            return SerializedDocuments(try run(db, skip: skip, limit: limit).map(\.document))
        }
    }

    /// The `body` column of the rows of `query`, the first `skip` dropped, up to the `need`th row.
    private static func storedText(
        _ db: Database, _ query: SQLFragment, skip: Int = 0, need: Int? = nil
    ) throws -> SerializedDocuments {
        var result = SerializedDocuments()
        let statement = try db.cachedStatement(sql: query.sql)
        let cursor = try Row.fetchCursor(statement, arguments: query.statementArguments)
        var index = 0
        while index < need ?? .max, let row = try cursor.next() {
            defer { index += 1 }
            guard index >= skip else { continue }
            try row.withUnsafeData(atIndex: 1) { data in
                data?.withUnsafeBytes { result.appendSerialized($0.assumingMemoryBound(to: UInt8.self)) }
            }
        }
        return result
    }
}
