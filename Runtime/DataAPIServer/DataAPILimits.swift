import BSON

/// The bounds every request stays within, on both backends unless noted. Past a bound the request is
/// refused with a 400 `InvalidParameter` whose message names the bound, before anything is written; a
/// response is never unbounded. docs/DATA-API.md lists them in a table.
public enum DataAPILimits {
    /// The most documents one `find` or `aggregate` returns, like Atlas's Data API. A `find` with a larger
    /// `limit` is refused; one without a `limit` (or `limit: 0`) whose result would be larger is refused
    /// instead of truncated, as is an `aggregate` whose result would be larger.
    public static let maxResultDocuments = 50_000

    /// SQLite backend: the most documents one request sorts in memory, or, with an indexed sort, the
    /// documents of the collection whose sort or filter fields the indexes cannot order (not the indexed
    /// type: `startTime` not a date, `_id` or a text field not a string, an array). Those documents are
    /// read, filtered and sorted in Swift, exactly, and merged with the index-ordered rest.
    public static let maxInMemorySortDocuments = 10_000

    /// The most levels of objects and arrays a stored document may have, the document itself included
    /// (`{a: {b: [1]}}` has 3), like MongoDB's 100. Checked on inserted and replacement documents, and for
    /// an update on every operator's path and operand (a path of `n` components with an operand `d` levels
    /// deep reaches level `n + d`) and on the filter fields an upsert copies, so no write can store a
    /// document that a later read would refuse.
    public static let maxNestingDepth = 100

    /// The most components of one dotted field path (`a.b.0` has 3) in a filter, projection, sort, update,
    /// or an aggregation stage or expression: the nesting limit, since a longer path could only address a
    /// document deeper than may be stored.
    public static let maxPathComponents = maxNestingDepth

    /// The largest numeric component (after the first) of an update path: `$set` on `a.5000` pads the
    /// array `a` with nulls up to index 5000, so a larger index could create a huge array. A numeric
    /// component that names an object field is bounded the same way, so both backends decide alike
    /// without looking at the stored document.
    public static let maxArrayIndex = 10_000

    /// The most values in one `$in` or `$nin` list.
    public static let maxInListValues = 10_000

    /// The largest stored document, measured exactly as its BSON encoding (what MongoDB's 16 MiB limit
    /// measures: 4-byte lengths, type bytes, NUL-terminated keys, array indexes as keys, 8 bytes a double).
    /// Checked on inserted, replacement and upserted documents on both backends; for the result of an
    /// update by the SQLite backend after applying it (MongoDB checks its own).
    public static let maxDocumentBytes = 16 << 20

    /// The most keys of one object anywhere in a request (filters, updates, documents, stages) or in a
    /// document the SQLite backend stores after an update.
    public static let maxKeysPerObject = 10_000

    /// The most stages of one aggregation pipeline (MongoDB's limit too).
    public static let maxPipelineStages = 1_000

    /// The JSON nesting a request body may have: the document limit, plus room for the request envelope,
    /// the operators around a value and Extended JSON wrappers (`{"$date": {"$numberLong": …}}`).
    public static let maxRequestJSONDepth = maxNestingDepth + 8

    /// The JSON nesting with which stored documents are read back: the document limit plus the two levels
    /// of the deepest Extended JSON wrapper, so every document a write accepted can be read.
    static let storedJSONDepth = maxNestingDepth + 2

    static func limitTooLarge(_ limit: Int) -> DataAPIError {
        DataAPIError(
            .invalidParameter,
            "limit \(limit) exceeds the result cap of \(maxResultDocuments) documents; page with a smaller limit")
    }

    static func resultTooLarge(_ action: String) -> DataAPIError {
        DataAPIError(
            .invalidParameter,
            "the \(action) result exceeds the result cap of \(maxResultDocuments) documents; "
                + (action == "find" ? "pass a limit or narrow the filter" : "add a $limit stage or narrow the $match"))
    }

    static func inMemorySortTooLarge() -> DataAPIError {
        DataAPIError(
            .invalidParameter,
            "the query needs more than \(maxInMemorySortDocuments) documents sorted in memory (a sort on fields "
                + "without an index, or documents whose sort or filter fields are not of the indexed type); "
                + "narrow the filter or sort on indexed fields")
    }

    /// A refusal that names the bound: "`what` is `value`, over the limit of `limit` `unit`".
    static func exceeded(_ what: String, _ value: Int, limit: Int, _ unit: String) -> DataAPIError {
        DataAPIError(.invalidParameter, "\(what) is \(value), over the limit of \(limit) \(unit)")
    }

    /// Input quoted in a message, cut to its first 60 characters so a huge key or path stays a short line.
    static func quoted(_ text: String) -> String {
        text.count <= 60 ? "\"\(text)\"" : "\"\(text.prefix(60))…\""
    }
}
