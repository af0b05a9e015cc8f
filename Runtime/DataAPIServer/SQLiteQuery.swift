import BSON
import GRDB

/// One query (filter and optional sort) against the documents table, planned so that SQLite's indexes
/// do the filtering, ordering, skipping and limiting, and Swift parses only the rows it returns.
///
/// The rows of the namespace fall into two disjoint parts:
/// - *indexed rows*: every sort field and every field an exact filter condition reads has the indexed
///   type (``SQLiteIndexedField``). For them SQL decides the filter and the order exactly like
///   ``Filter/matches(_:)`` and ``SortSpecification`` (ties by insertion order, `seq`), so the main
///   query is `WHERE … ORDER BY … LIMIT ? OFFSET ?` in index order.
/// - *other rows* (a sort field missing or of another type, an array in a filtered field): found by index
///   seeks (``SQLiteIndexedField/untypedTerms``), at most ``DataAPILimits/maxInMemorySortDocuments`` of
///   them, filtered and sorted in Swift and merged into the main query's stream.
///
/// A filter part SQL cannot express exactly (`$ne`, `$exists`, non-indexed fields, …) is checked in Swift
/// on the streamed rows, each parsed once, stopping at `skip + limit` matches. A lookup by `_id` (equality
/// or `$in`) reads its few rows directly. A sort on non-indexed fields sorts the matches in Swift, at most
/// ``DataAPILimits/maxInMemorySortDocuments`` of them.
struct SQLiteQuery {
    enum Strategy {
        /// `_id` equality or `$in`: the candidates, in insertion order; `exact` when SQL decides the whole
        /// filter (it reads `_id` only, never an array).
        case lookup(SQLFragment, exact: Bool)
        /// `main` in the order of `order` (nil: insertion order), `others` the rows it cannot order or filter.
        case indexed(main: SQLFragment, others: SQLFragment?, exact: Bool)
    }

    let strategy: Strategy
    private let filter: Filter
    /// The order the main query returns (and the other rows are merged in).
    private let order: SortSpecification?
    /// A sort done in Swift after reading every match (lookups, and sorts on non-indexed fields).
    let swiftSort: SortSpecification?

    init(_ namespace: Namespace, filter: Filter, sort: SortSpecification?) {
        self.filter = filter
        let sortFields = sort?.keys.map { SQLiteIndexedField.named($0.0) }
        let indexedSort = sortFields.map { $0.allSatisfy { $0 != nil } } ?? true
        let translation = SQLiteFilterTranslation(
            filter, sortFields: indexedSort ? Set(sortFields?.compactMap { $0 } ?? []) : [])
        let ns = namespace.description.databaseValue
        if let lookup = translation.idLookup {
            let exact = translation.complete && translation.fields.allSatisfy { $0.kind == .id }
            let where_ =
                [SQLFragment(sql: "ns = ?", arguments: [ns]), lookup] + (exact ? translation.exact : [])
                + translation.narrowing
            strategy = .lookup(Self.select(where_, orderBy: "seq"), exact: exact)
            order = nil
            swiftSort = sort
            return
        }
        let keys: [(SQLiteIndexedField, Bool)] =
            indexedSort ? zip(sortFields ?? [], sort?.keys ?? []).compactMap { f, k in f.map { ($0, k.1) } } : []
        order = indexedSort ? sort : nil
        swiftSort = indexedSort ? nil : sort

        var conditions = [SQLFragment(sql: "ns = ?", arguments: [ns])]
        // The sort fields must have the indexed type. Not a seek: the filter's terms choose the index (an
        // extra range here makes SQLite's planner prefer a range on the sort key over an equality).
        for (field, _) in keys { conditions.append(SQLFragment(sql: field.typed)) }
        for field in translation.fields where !keys.contains(where: { $0.0 == field }) {
            if let notArray = field.notArray { conditions.append(SQLFragment(sql: notArray)) }
        }
        conditions += translation.exact
        var orderBy = keys.map { field, ascending in field.expression + (ascending ? "" : " DESC") }
        // Equal sort keys keep insertion order; `_id` is unique, so a sort ending in it has no ties.
        if keys.last?.0.kind != .id { orderBy.append("seq") }
        let main = Self.select(
            conditions, orderBy: orderBy.joined(separator: ", "),
            index: Self.index(equalities: translation.equalities, sort: keys))

        // Each term once, in order (a handful: comparing them beats hashing the long expressions).
        var terms = [String]()
        for (field, _) in keys { for term in field.untypedTerms where !terms.contains(term) { terms.append(term) } }
        for field in translation.fields {
            if let term = field.arrayTerm, !terms.contains(term) { terms.append(term) }
        }
        var others: SQLFragment?
        if !terms.isEmpty {
            let selects = terms.map { term in
                Self.select(
                    [SQLFragment(sql: "ns = ?", arguments: [ns]), SQLFragment(sql: term)] + translation.narrowing)
            }
            var union = SQLFragment.joined(selects, " UNION ")
            union.sql += " LIMIT ?"
            union.arguments.append((DataAPILimits.maxInMemorySortDocuments + 1).databaseValue)
            others = union
        }
        strategy = .indexed(main: main, others: others, exact: translation.complete)
    }

    /// The evcsm index that serves the query without a sort step: its columns after the namespace are
    /// equality fields of the filter, then exactly the sort keys (all in their direction, or all reversed);
    /// the one with the most equality columns. Named with `INDEXED BY`: without statistics SQLite's
    /// planner sometimes takes another index, or this one with a needless sort step, when several
    /// equalities and ranges make its estimates tie (seen with point, user, status, range and cursor).
    private static func index(equalities: Set<String>, sort: [(SQLiteIndexedField, Bool)]) -> String? {
        guard let last = sort.last, last.0.kind == .id else { return nil }
        var best: (name: String, prefix: Int)?
        for (name, keys) in EvcsmIndexes.definitions where keys.count >= sort.count {
            let prefix = keys.dropLast(sort.count)
            let tail = keys.suffix(sort.count)
            guard prefix.allSatisfy({ equalities.contains($0.field) }),
                zip(tail, sort).allSatisfy({ $0.field == $1.0.name })
            else { continue }
            let same = zip(tail, sort).map { $0.ascending == $1.1 }
            guard same.allSatisfy({ $0 }) || same.allSatisfy({ !$0 }) else { continue }
            if prefix.count > best?.prefix ?? -1 { best = (name, prefix.count) }
        }
        return best?.name
    }

    private static func select(_ conditions: [SQLFragment], orderBy: String? = nil, index: String? = nil) -> SQLFragment
    {
        var fragment = SQLFragment.joined(conditions, " AND ")
        let source = index.map { "documents INDEXED BY \($0)" } ?? "documents"
        fragment.sql = "SELECT seq, body FROM \(source) WHERE " + fragment.sql
        if let orderBy { fragment.sql += " ORDER BY " + orderBy }
        return fragment
    }

    // MARK: Running

    struct Match {
        let seq: Int64
        let document: Document
        let keys: [BSONValue?]
    }

    /// The matching documents in order, `skip` dropped, at most `limit` (nil: all of them).
    func run(_ db: Database, skip: Int = 0, limit: Int? = nil) throws -> [SQLiteSchema.StoredDocument] {
        if let swiftSort {
            var matches = try documents(db, need: DataAPILimits.maxInMemorySortDocuments + 1)
            if matches.count > DataAPILimits.maxInMemorySortDocuments { throw DataAPILimits.inMemorySortTooLarge() }
            let keyed = matches.map { ($0, swiftSort.sortKeys(of: $0.document)) }
            matches = keyed.sorted { a, b in
                let c = swiftSort.compare(a.1, b.1)
                return c != 0 ? c < 0 : a.0.seq < b.0.seq
            }.map(\.0)
            return Array(matches.dropFirst(skip).prefix(limit ?? .max))
        }
        return try documents(db, skip: skip, need: limit.map { skip + $0 })
    }

    /// The first `need` matches (all when nil) in order, the first `skip` of them dropped.
    private func documents(_ db: Database, skip: Int = 0, need: Int?) throws -> [SQLiteSchema.StoredDocument] {
        switch strategy {
        case .lookup(let query, _):
            let found = try Self.rows(db, query) { seq, document in
                filter.matches(document) ? SQLiteSchema.StoredDocument(seq: seq, document: document) : nil
            }
            return Array(found.dropFirst(skip).prefix((need ?? .max) - skip))
        case .indexed(let main, let othersQuery, let exact):
            let others = try otherRows(db, othersQuery)
            if others.isEmpty && exact {
                // The common case: SQL filters, orders, skips and limits; only returned rows are parsed.
                return try Self.rows(db, Self.limited(main, skip: skip, need: need)) {
                    SQLiteSchema.StoredDocument(seq: $0, document: $1)
                }
            }
            return try merged(db, main, exact: exact, others: others, skip: skip, need: need)
        }
    }

    /// The rows the main query cannot order or filter, matched and sorted in Swift (at most
    /// ``DataAPILimits/maxInMemorySortDocuments`` read).
    func otherRows(_ db: Database, _ othersQuery: SQLFragment?) throws -> [Match] {
        guard let othersQuery else { return [] }
        var read = 0
        var others = try Self.rows(db, othersQuery) { (seq, document) -> Match? in
            read += 1
            guard filter.matches(document) else { return nil }
            return Match(seq: seq, document: document, keys: order?.sortKeys(of: document) ?? [])
        }
        if read > DataAPILimits.maxInMemorySortDocuments { throw DataAPILimits.inMemorySortTooLarge() }
        others.sort(by: precedes)
        return others
    }

    /// The main query with SQL's `LIMIT` and `OFFSET` for the first `need` rows, `skip` dropped.
    static func limited(_ main: SQLFragment, skip: Int, need: Int?) -> SQLFragment {
        var query = main
        query.sql += " LIMIT ? OFFSET ?"
        query.arguments += [(need.map { $0 - skip } ?? -1).databaseValue, skip.databaseValue]
        return query
    }

    /// The main query's stream, checked in Swift unless `exact`, merged with the sorted other rows.
    func merged(
        _ db: Database, _ main: SQLFragment, exact: Bool, others: [Match], skip: Int, need: Int?
    ) throws -> [SQLiteSchema.StoredDocument] {
        var query = main
        if exact, let need {
            query.sql += " LIMIT ?"
            query.arguments.append(need.databaseValue)
        }
        let want = need ?? .max
        var result = [SQLiteSchema.StoredDocument]()
        var next = others.startIndex
        let cursor = try Row.fetchCursor(
            db.cachedStatement(sql: query.sql), arguments: query.statementArguments)
        rows: while result.count < want, let row = try cursor.next() {
            let document = try SQLiteSchema.document(row, atIndex: 1)
            guard exact || filter.matches(document) else { continue }
            let match = Match(seq: row[0], document: document, keys: order?.sortKeys(of: document) ?? [])
            while next < others.endIndex, precedes(others[next], match) {
                result.append(SQLiteSchema.StoredDocument(seq: others[next].seq, document: others[next].document))
                next += 1
                if result.count == want { break rows }
            }
            result.append(SQLiteSchema.StoredDocument(seq: match.seq, document: match.document))
        }
        while result.count < want, next < others.endIndex {
            result.append(SQLiteSchema.StoredDocument(seq: others[next].seq, document: others[next].document))
            next += 1
        }
        return Array(result.dropFirst(skip))
    }

    private func precedes(_ a: Match, _ b: Match) -> Bool {
        if let order {
            let c = order.compare(a.keys, b.keys)
            if c != 0 { return c < 0 }
        }
        return a.seq < b.seq
    }

    /// Runs a cached statement and maps each row (seq, parsed body); nil results are dropped.
    private static func rows<T>(
        _ db: Database, _ query: SQLFragment, _ transform: (Int64, Document) throws -> T?
    ) throws -> [T] {
        let statement = try db.cachedStatement(sql: query.sql)
        let cursor = try Row.fetchCursor(statement, arguments: query.statementArguments)
        var result = [T]()
        while let row = try cursor.next() {
            if let value = try transform(row[0], try SQLiteSchema.document(row, atIndex: 1)) { result.append(value) }
        }
        return result
    }

    /// The statements ``run(_:skip:limit:)`` executes when no row needs Swift, as SQL with its arguments
    /// (for query plans).
    func statements(skip: Int = 0, limit: Int? = nil) -> [SQLFragment] {
        switch strategy {
        case .lookup(let query, _):
            return [query]
        case .indexed(let main, let others, _):
            return [Self.limited(main, skip: skip, need: limit.map { skip + $0 })] + (others.map { [$0] } ?? [])
        }
    }
}
