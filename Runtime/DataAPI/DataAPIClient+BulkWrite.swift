import BSON

/// One operation of ``DataAPIClient/bulkWrite(_:)``.
public enum BulkWriteOperation: Sendable, Equatable {
    /// Inserts `document` into `collection`.
    case insertOne(_ collection: String, document: Document)
    /// Updates the first document of `collection` matching `filter` (inserting one when nothing matches and
    /// `upsert`); with `requireMatch`, an update that matches and upserts nothing ends the sequence there.
    case updateOne(
        _ collection: String, filter: Document, update: Document, upsert: Bool = false, requireMatch: Bool = false)

    /// `{"insertOne": {...}}` or `{"updateOne": {...}}`.
    var document: Document {
        switch self {
        case .insertOne(let collection, let document):
            return ["insertOne": ["collection": .string(collection), "document": .document(document)]]
        case .updateOne(let collection, let filter, let update, let upsert, let requireMatch):
            var fields: Document = [
                "collection": .string(collection), "filter": .document(filter), "update": .document(update),
            ]
            if upsert { fields["upsert"] = true }
            if requireMatch { fields["requireMatch"] = true }
            return ["updateOne": .document(fields)]
        }
    }
}

extension DataAPIClient {
    /// Sends one operation as the action of its name (`insertOne`, `updateOne`; `requireMatch` means nothing
    /// alone), for a caller that also sends it inside a ``bulkWrite(_:)``.
    public func write(_ operation: BulkWriteOperation) throws(DataAPIError) -> BulkWriteItemResult {
        switch operation {
        case .insertOne(let collection, let document):
            return .inserted(id: try insertOne(collection, document: document))
        case .updateOne(let collection, let filter, let update, let upsert, _):
            return .updated(try updateOne(collection, filter: filter, update: update, upsert: upsert))
        }
    }

    /// Runs `operations` in order in one request (`bulkWrite`, docs/DATA-API.md): the sequence ends at the first
    /// operation that fails (the result's `writeError`) or at an `updateOne` with `requireMatch` that matched
    /// nothing; what ran before stays written. Throws only when the request as a whole failed (then, after a
    /// transport error or a 5xx, any prefix of the operations may have been written). Never retried.
    public func bulkWrite(_ operations: [BulkWriteOperation]) throws(DataAPIError) -> BulkWriteResult {
        let body: Document = [
            "dataSource": .string(configuration.dataSource), "database": .string(configuration.database),
            "operations": .array(operations.map { .document($0.document) }),
        ]
        let reply = try call(.bulkWrite, body)
        guard let result = BulkWriteResult(reply: reply) else {
            throw DataAPIError(.unexpectedResponse, "bulkWrite: the reply has no results array of operation results")
        }
        guard result.results.count + (result.writeError == nil ? 0 : 1) <= operations.count else {
            throw DataAPIError(.unexpectedResponse, "bulkWrite: more results than operations")
        }
        return result
    }
}
