// The reply of the Data API's `bulkWrite` action (an evcsm extension, docs/DATA-API.md "bulkWrite"), which the
// server writes and the client reads: one shape, kept here so neither side links the other.

/// What one operation of a `bulkWrite` did.
public enum BulkWriteItemResult: Sendable, Equatable {
    /// An `insertOne` stored its document with this `_id`.
    case inserted(id: BSONValue)
    /// An `updateOne` matched, changed or upserted.
    case updated(UpdateResult)
}

/// The operation of a `bulkWrite` that failed, and why.
public struct BulkWriteError: Sendable, Equatable {
    /// Its position in `operations`, from 0.
    public let index: Int
    /// The error it would have had as an action of its own.
    public let error: DataAPIError

    public init(index: Int, error: DataAPIError) {
        self.index = index
        self.error = error
    }
}

/// The reply of `bulkWrite`: `{"results": [...]}`, plus `"writeError": {"index", "error", "error_code"}` when an
/// operation failed.
///
/// The operations run in order and the sequence ends at the first that fails (``writeError``; it wrote nothing)
/// or at an `updateOne` with `requireMatch` that matched and upserted nothing (its result is the last of
/// ``results``). What ran before stays written, as with MongoDB's ordered bulk writes.
public struct BulkWriteResult: Sendable, Equatable {
    /// The result of each operation that ran and did not fail, in order.
    public var results: [BulkWriteItemResult]
    /// The operation that failed, if one did (it is the one after the last of ``results``).
    public var writeError: BulkWriteError?

    public init(results: [BulkWriteItemResult] = [], writeError: BulkWriteError? = nil) {
        self.results = results
        self.writeError = writeError
    }

    /// The reply document.
    public var document: Document {
        var reply: Document = [
            "results": .array(
                results.map { result in
                    switch result {
                    case .inserted(let id): return ["insertedId": id]
                    case .updated(let update):
                        var item: Document = [
                            "matchedCount": .integer(Int64(update.matchedCount)),
                            "modifiedCount": .integer(Int64(update.modifiedCount)),
                        ]
                        if let id = update.upsertedId { item["upsertedId"] = id }
                        return .document(item)
                    }
                })
        ]
        if let failure = writeError {
            reply["writeError"] = [
                "index": .integer(Int64(failure.index)), "error": .string(failure.error.message),
                "error_code": .string(failure.error.code.rawValue),
            ]
        }
        return reply
    }

    /// Reads a reply document; nil when it is not one.
    public init?(reply: Document) {
        guard case .array(let items)? = reply["results"] else { return nil }
        var results = [BulkWriteItemResult]()
        for item in items {
            guard case .document(let fields) = item else { return nil }
            if let id = fields["insertedId"] {
                results.append(.inserted(id: id))
            } else if let matched = fields["matchedCount"]?.int64Value,
                let modified = fields["modifiedCount"]?.int64Value
            {
                results.append(
                    .updated(
                        UpdateResult(
                            matchedCount: Int(matched), modifiedCount: Int(modified), upsertedId: fields["upsertedId"]))
                )
            } else {
                return nil
            }
        }
        self.results = results
        switch reply["writeError"] {
        case nil, .null?:
            writeError = nil
        case .document(let failure)?:
            guard let index = failure["index"]?.int64Value, let message = failure["error"]?.stringValue,
                let code = failure["error_code"]?.stringValue.flatMap(DataAPIErrorCode.init(rawValue:))
            else { return nil }
            writeError = BulkWriteError(index: Int(index), error: DataAPIError(code, message))
        default:
            return nil
        }
    }
}
