import BSON

/// One Data API request body, validated for its action: known fields only, right types, filters,
/// updates, sorts, projections and pipelines parsed (unsupported operators are named in the 400).
struct ActionRequest: Sendable {
    enum Command: Sendable {
        case find(FindCommand, one: Bool)
        case insert(InsertCommand, one: Bool)
        case update(UpdateCommand)
        case delete(DeleteCommand)
        case aggregate(AggregateCommand)
        case bulkWrite(BulkWriteCommand)
    }

    let namespace: Namespace
    let command: Command

    private static let commonFields: Set<String> = ["dataSource", "database", "collection"]
    private static let actionFields: [DataAPIAction: Set<String>] = [
        .findOne: ["filter", "projection", "sort"],
        .find: ["filter", "projection", "sort", "limit", "skip"],
        .insertOne: ["document"],
        .insertMany: ["documents"],
        .updateOne: ["filter", "update", "upsert"],
        .updateMany: ["filter", "update", "upsert"],
        .deleteOne: ["filter"],
        .deleteMany: ["filter"],
        .aggregate: ["pipeline"],
        .bulkWrite: ["operations"],
    ]

    init(_ action: DataAPIAction, _ body: Document) throws(DataAPIError) {
        let allowed = Self.commonFields.union(Self.actionFields[action] ?? [])
        if let unknown = body.keys.first(where: { !allowed.contains($0) }) {
            throw DataAPIError(
                .invalidParameter, "unknown field \(DataAPILimits.quoted(unknown)) for \(action.rawValue)")
        }
        // One pass over the whole body: no object anywhere in it has more keys than the bound.
        try DocumentShape(body).checkKeys()
        if let source = body["dataSource"], source.stringValue == nil {
            throw DataAPIError(.invalidParameter, "dataSource must be a string")
        }
        if action == .bulkWrite {
            let bulk = try Self.bulkWrite(body)
            (namespace, command) = (bulk.operations[0].namespace, .bulkWrite(bulk))
            return
        }
        namespace = try Namespace(
            database: try Self.string(body, "database"), collection: try Self.string(body, "collection"))
        let namespace = namespace
        switch action {
        case .findOne, .find:
            // Never unbounded: without a limit, one past the cap, so a larger result is refused in `run`.
            let requested = action == .findOne ? 1 : try Self.count(body, "limit")
            if requested > DataAPILimits.maxResultDocuments { throw DataAPILimits.limitTooLarge(requested) }
            let limit = requested == 0 ? DataAPILimits.maxResultDocuments + 1 : requested
            command = .find(
                FindCommand(
                    namespace: namespace, filter: try Filter(try Self.document(body, "filter") ?? Document()),
                    projection: try Self.document(body, "projection").map { (d) throws(DataAPIError) in
                        try Projection(d, allowExpressions: false)
                    },
                    sort: try Self.document(body, "sort").map { (d) throws(DataAPIError) in try SortSpecification(d) },
                    skip: action == .findOne ? 0 : try Self.count(body, "skip"), limit: limit),
                one: action == .findOne)
        case .insertOne:
            command = .insert(try Self.insertOne(namespace, body), one: true)
        case .insertMany:
            guard case .array(let items)? = body["documents"], !items.isEmpty else {
                throw DataAPIError(.invalidParameter, "insertMany needs a non-empty documents array")
            }
            var documents = [Document]()
            for item in items {
                guard case .document(let document) = item else {
                    throw DataAPIError(.invalidParameter, "every entry of documents must be an object")
                }
                documents.append(try Self.storable(document))
            }
            command = .insert(InsertCommand(namespace: namespace, documents: documents), one: false)
        case .updateOne, .updateMany:
            command = .update(try Self.update(action, namespace, body))
        case .deleteOne, .deleteMany:
            guard let filter = try Self.document(body, "filter") else {
                throw DataAPIError(.invalidParameter, "\(action.rawValue) needs a filter (use {} for every document)")
            }
            command = .delete(
                DeleteCommand(namespace: namespace, filter: try Filter(filter), multi: action == .deleteMany))
        case .bulkWrite:
            preconditionFailure("bulkWrite is parsed above")
        case .aggregate:
            guard case .array(let items)? = body["pipeline"] else {
                throw DataAPIError(.invalidParameter, "aggregate needs a pipeline array")
            }
            var stages = [Document]()
            for item in items {
                guard case .document(let stage) = item else {
                    throw DataAPIError(.invalidParameter, "every pipeline stage must be an object")
                }
                stages.append(stage)
            }
            command = .aggregate(AggregateCommand(namespace: namespace, pipeline: try Pipeline(stages)))
        }
    }

    /// The command of an `insertOne` body (or `insertOne` operation of a `bulkWrite`).
    static func insertOne(_ namespace: Namespace, _ body: Document) throws(DataAPIError) -> InsertCommand {
        guard let document = try Self.document(body, "document") else {
            throw DataAPIError(.invalidParameter, "insertOne needs a document")
        }
        return InsertCommand(namespace: namespace, documents: [try Self.storable(document)])
    }

    /// The command of an `updateOne`/`updateMany` body (or `updateOne` operation of a `bulkWrite`).
    static func update(
        _ action: DataAPIAction, _ namespace: Namespace, _ body: Document
    ) throws(DataAPIError) -> UpdateCommand {
        guard let filter = try Self.document(body, "filter") else {
            throw DataAPIError(.invalidParameter, "\(action.rawValue) needs a filter (use {} for every document)")
        }
        guard let updateDocument = try Self.document(body, "update") else {
            throw DataAPIError(.invalidParameter, "\(action.rawValue) needs an update")
        }
        let update = try Update(updateDocument)
        if action == .updateMany, update.isReplacement {
            throw DataAPIError(.invalidParameter, "updateMany needs update operators, not a replacement document")
        }
        switch update.kind {
        case .replacement(let replacement):
            try Self.checkFieldNames(.document(replacement))
            if let id = replacement["_id"] { try DocumentValidation.checkId(id) }
            try DocumentShape(replacement).checkStorable("the replacement document")
        case .operators(let operations):
            for operation in operations { try Self.checkFieldNames(operation.operand) }
        }
        var upsert = false
        if let flag = body["upsert"] {
            guard let value = flag.boolValue else {
                throw DataAPIError(.invalidParameter, "upsert must be a boolean")
            }
            upsert = value
        }
        let parsedFilter = try Filter(filter)
        if upsert {
            // An upsert that inserts starts from the filter's equality fields: bounded like `$set`.
            for (path, value) in parsedFilter.equalityFields {
                try DocumentShape.checkWrite("upsert's filter", path: path, value: value)
            }
        }
        return UpdateCommand(
            namespace: namespace, filter: parsedFilter, update: update, upsert: upsert,
            multi: action == .updateMany)
    }

    /// Runs the command and shapes the Data API reply.
    func run(on backend: any DocumentBackend) async throws -> Document {
        switch command {
        case .find(let find, let one):
            let documents = try await backend.find(find)
            if documents.count > DataAPILimits.maxResultDocuments { throw DataAPILimits.resultTooLarge("find") }
            if one { return ["document": documents.first.map { .document($0) } ?? .null] }
            return ["documents": .array(documents.map { .document($0) })]
        case .insert(let insert, let one):
            let ids = try await backend.insert(insert)
            return one ? ["insertedId": ids.first ?? .null] : ["insertedIds": .array(ids)]
        case .update(let update):
            let result = try await backend.update(update)
            var reply: Document = [
                "matchedCount": .integer(Int64(result.matchedCount)),
                "modifiedCount": .integer(Int64(result.modifiedCount)),
            ]
            if let id = result.upsertedId { reply["upsertedId"] = id }
            return reply
        case .delete(let delete):
            return ["deletedCount": .integer(Int64(try await backend.delete(delete)))]
        case .aggregate(let aggregate):
            let documents = try await backend.aggregate(aggregate)
            if documents.count > DataAPILimits.maxResultDocuments { throw DataAPILimits.resultTooLarge("aggregate") }
            return ["documents": .array(documents.map { .document($0) })]
        case .bulkWrite(let bulk):
            return try await backend.bulkWrite(bulk).document
        }
    }

    /// The documents of `find` and `findOne` as canonical Extended JSON (capped like ``run(on:)``), and
    /// whether the action is `findOne` (then at most one: its limit is 1). Nil for the other actions.
    func canonicalDocuments(on backend: any DocumentBackend) async throws -> (SerializedDocuments, one: Bool)? {
        guard case .find(let find, let one) = command else { return nil }
        let found = try await backend.findCanonical(find)
        if found.count > DataAPILimits.maxResultDocuments { throw DataAPILimits.resultTooLarge("find") }
        return (found, one)
    }

    // MARK: - Field readers

    static func string(_ body: Document, _ key: String) throws(DataAPIError) -> String {
        guard let value = body[key] else { throw DataAPIError(.invalidParameter, "missing \(key)") }
        guard let string = value.stringValue else { throw DataAPIError(.invalidParameter, "\(key) must be a string") }
        return string
    }

    static func document(_ body: Document, _ key: String) throws(DataAPIError) -> Document? {
        switch body[key] {
        case nil: return nil
        case .document(let d)?: return d
        default: throw DataAPIError(.invalidParameter, "\(key) must be an object")
        }
    }

    private static func count(_ body: Document, _ key: String) throws(DataAPIError) -> Int {
        guard let value = body[key] else { return 0 }
        guard let n = value.int64Value, n >= 0, n <= Int64(Int32.max) else {
            throw DataAPIError(.invalidParameter, "\(key) must be a non-negative integer")
        }
        return Int(n)
    }

    /// A document as it will be stored: valid field names, `_id` first (an ObjectId when absent).
    private static func storable(_ document: Document) throws(DataAPIError) -> Document {
        try checkFieldNames(.document(document))
        if let id = document["_id"] { try DocumentValidation.checkId(id) }
        let stored = Update.withIdFirst(document)
        try DocumentShape(stored).checkStorable("the document")
        return stored
    }

    /// Stored field names must not start with `$` or contain `.` (they could not be queried).
    private static func checkFieldNames(_ value: BSONValue) throws(DataAPIError) {
        switch value {
        case .document(let d):
            for (key, item) in d {
                if key.hasPrefix("$") || key.contains(".") || key.isEmpty {
                    throw DataAPIError(.invalidParameter, "invalid field name \"\(key)\" (no leading $, no .)")
                }
                try checkFieldNames(item)
            }
        case .array(let items):
            for item in items { try checkFieldNames(item) }
        default:
            return
        }
    }
}
