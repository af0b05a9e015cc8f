import BSON

/// `bulkWrite` (an evcsm extension of the Data API): `insertOne` and `updateOne` operations, each on its own
/// collection of one database, run in order; the sequence ends at the first operation that fails or at an
/// `updateOne` with `requireMatch` that matched (and upserted) nothing. What ran before stays written, as with
/// MongoDB's ordered bulk writes. The SQLite backend runs the whole sequence in one transaction, each operation
/// in its own savepoint, and answers after the COMMIT; the MongoDB backend runs the operations one after the
/// other (``BulkWriteResult`` is the reply).
public struct BulkWriteCommand: Sendable {
    /// One operation.
    public enum Operation: Sendable {
        case insertOne(InsertCommand)
        /// With `requireMatch`, an update that matches and upserts nothing ends the sequence.
        case updateOne(UpdateCommand, requireMatch: Bool)

        /// The collection it writes.
        public var namespace: Namespace {
            switch self {
            case .insertOne(let insert): return insert.namespace
            case .updateOne(let update, _): return update.namespace
            }
        }

        /// True when `result` ends the sequence although nothing failed.
        func stops(after result: BulkWriteItemResult) -> Bool {
            guard case .updateOne(_, true) = self, case .updated(let update) = result else { return false }
            return update.matchedCount == 0 && update.upsertedId == nil
        }
    }

    /// At least one, at most ``DataAPILimits/maxBulkWriteOperations``.
    public let operations: [Operation]
}

extension DataAPILimits {
    /// The most operations of one `bulkWrite`.
    public static let maxBulkWriteOperations = 100
}

extension DocumentBackend {
    /// Runs the operations one after the other through ``insert(_:)`` and ``update(_:)``; a ``DataAPIError`` of an
    /// operation becomes the reply's `writeError` and ends the sequence.
    public func bulkWrite(_ command: BulkWriteCommand) async throws -> BulkWriteResult {
        var outcome = BulkWriteResult()
        for (index, operation) in command.operations.enumerated() {
            let result: BulkWriteItemResult
            do {
                switch operation {
                case .insertOne(let insert): result = .inserted(id: try await self.insert(insert).first ?? .null)
                case .updateOne(let update, _): result = .updated(try await self.update(update))
                }
            } catch let error as DataAPIError {
                outcome.writeError = BulkWriteError(index: index, error: error)
                break
            }
            outcome.results.append(result)
            if operation.stops(after: result) { break }
        }
        return outcome
    }
}

extension ActionRequest {
    /// The fields an operation of a `bulkWrite` may have, besides `collection`.
    private static let operationFields: [String: Set<String>] = [
        "insertOne": ["document"], "updateOne": ["filter", "update", "upsert", "requireMatch"],
    ]

    /// Parses a `bulkWrite` body: `database`, an optional default `collection`, and `operations`, each
    /// `{"insertOne": {collection?, document}}` or `{"updateOne": {collection?, filter, update, upsert?,
    /// requireMatch?}}`. Every operation is validated before any runs.
    static func bulkWrite(_ body: Document) throws(DataAPIError) -> BulkWriteCommand {
        let database = try string(body, "database")
        let defaultCollection: String?
        switch body["collection"] {
        case nil: defaultCollection = nil
        case .string(let name)?: defaultCollection = name
        default: throw DataAPIError(.invalidParameter, "collection must be a string")
        }
        guard case .array(let items)? = body["operations"], !items.isEmpty else {
            throw DataAPIError(.invalidParameter, "bulkWrite needs a non-empty operations array")
        }
        guard items.count <= DataAPILimits.maxBulkWriteOperations else {
            throw DataAPILimits.exceeded(
                "the number of bulkWrite operations", items.count, limit: DataAPILimits.maxBulkWriteOperations,
                "operations")
        }
        var operations = [BulkWriteCommand.Operation]()
        for (index, item) in items.enumerated() {
            let label = "operation \(index)"
            guard case .document(let wrapper) = item, wrapper.count == 1, let kind = wrapper.keys.first,
                let allowed = operationFields[kind]
            else {
                throw DataAPIError(
                    .invalidParameter, "\(label) must be an object with one key, insertOne or updateOne")
            }
            guard case .document(let fields)? = wrapper[kind] else {
                throw DataAPIError(.invalidParameter, "\(label): \(kind) must be an object")
            }
            if let unknown = fields.keys.first(where: { $0 != "collection" && !allowed.contains($0) }) {
                throw DataAPIError(
                    .invalidParameter, "\(label): unknown field \(DataAPILimits.quoted(unknown)) for \(kind)")
            }
            let collection: String
            switch fields["collection"] {
            case nil:
                guard let defaultCollection else {
                    throw DataAPIError(.invalidParameter, "\(label): missing collection (and no default collection)")
                }
                collection = defaultCollection
            case .string(let name)?: collection = name
            default: throw DataAPIError(.invalidParameter, "\(label): collection must be a string")
            }
            let namespace = try Namespace(database: database, collection: collection)
            do throws(DataAPIError) {
                if kind == "insertOne" {
                    operations.append(.insertOne(try insertOne(namespace, fields)))
                } else {
                    var requireMatch = false
                    if let flag = fields["requireMatch"] {
                        guard let value = flag.boolValue else {
                            throw DataAPIError(.invalidParameter, "requireMatch must be a boolean")
                        }
                        requireMatch = value
                    }
                    operations.append(
                        .updateOne(try update(.updateOne, namespace, fields), requireMatch: requireMatch))
                }
            } catch {
                throw DataAPIError(error.code, "\(label): \(error.message)")
            }
        }
        return BulkWriteCommand(operations: operations)
    }
}
