import BSON

/// The bounds every request stays within, on both backends unless noted. Past a bound the request is
/// refused with a 400 `InvalidParameter` whose message names the bound; a response is never unbounded.
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
}
