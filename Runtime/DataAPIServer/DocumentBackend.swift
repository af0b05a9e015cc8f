import BSON

/// A store of BSON documents that serves the Data API actions. Both implementations
/// (``SQLiteDocumentBackend``, ``MongoDocumentBackend``) are safe under concurrent requests, and an
/// update with a filter is an atomic compare-and-set: the filter is evaluated and the update applied
/// as one step, so of two racing `updateOne({x: null}, {$set: {x: …}})` calls exactly one matches.
///
/// Commands arrive validated (the controller parses them once, so both backends accept and reject
/// exactly the same requests). Implementations throw ``DataAPIError``; any other error becomes a 500.
public protocol DocumentBackend: Sendable {
    /// Matching documents, sorted, skipped, limited and projected.
    func find(_ command: FindCommand) async throws -> [Document]
    /// What ``find(_:)`` returns, as canonical Extended JSON: the `application/ejson` reply of `find` and
    /// `findOne` is spliced from it. A backend that stores that text returns it without parsing it.
    func findCanonical(_ command: FindCommand) async throws -> SerializedDocuments
    /// Inserts in order, stopping at the first failure (like MongoDB's ordered inserts). Documents
    /// already carry their `_id` (first field); returns the inserted ids.
    func insert(_ command: InsertCommand) async throws -> [BSONValue]
    /// Updates the first (or every) matching document, inserting when nothing matches and `upsert`.
    func update(_ command: UpdateCommand) async throws -> UpdateResult
    /// Deletes the first (or every) matching document; returns how many were deleted.
    func delete(_ command: DeleteCommand) async throws -> Int
    /// Runs an aggregation pipeline over the collection.
    func aggregate(_ command: AggregateCommand) async throws -> [Document]
    /// Runs the operations of a `bulkWrite` in order (``BulkWriteCommand``); an operation's ``DataAPIError`` is the
    /// result's `writeError`, not thrown. The default runs them one by one.
    func bulkWrite(_ command: BulkWriteCommand) async throws -> BulkWriteResult
}

extension DocumentBackend {
    /// Serializes what ``find(_:)`` returns.
    public func findCanonical(_ command: FindCommand) async throws -> SerializedDocuments {
        SerializedDocuments(try await find(command))
    }
}

/// Documents as canonical Extended JSON objects, comma-separated (the elements of a JSON array), and
/// how many there are.
public struct SerializedDocuments: Sendable {
    /// The objects, comma-separated, without brackets.
    public private(set) var bytes = [UInt8]()
    /// How many objects ``bytes`` holds.
    public private(set) var count = 0

    public init() {}

    /// The documents, serialized.
    public init(_ documents: [Document]) {
        for document in documents { append(document) }
    }

    /// Appends a document, serialized.
    public mutating func append(_ document: Document) {
        appendSerialized(ExtendedJSON.serializeBytes(.document(document), mode: .canonical))
    }

    /// Appends one document's canonical Extended JSON text as it is.
    mutating func appendSerialized(_ text: some Collection<UInt8>) {
        if count > 0 { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: text)
        count += 1
    }
}

/// A database and collection name pair, validated against MongoDB's naming rules.
public struct Namespace: Sendable, Hashable, CustomStringConvertible {
    public let database: String
    public let collection: String

    public init(database: String, collection: String) throws(DataAPIError) {
        guard !database.isEmpty, database.utf8.count <= 63,
            !database.contains(where: { "/\\. \"$\0".contains($0) })
        else {
            throw DataAPIError(.invalidParameter, "invalid database name \"\(database)\"")
        }
        guard !collection.isEmpty, collection.utf8.count <= 200, !collection.contains("$"),
            !collection.contains("\0"), !collection.hasPrefix("system.")
        else {
            throw DataAPIError(.invalidParameter, "invalid collection name \"\(collection)\"")
        }
        self.database = database
        self.collection = collection
    }

    public var description: String { "\(database).\(collection)" }
}

/// `find` / `findOne`: filter, projection, sort, skip and limit (0 = no limit; the controller always
/// sends one, at most one past ``DataAPILimits/maxResultDocuments``).
public struct FindCommand: Sendable {
    public let namespace: Namespace
    let filter: Filter
    let projection: Projection?
    let sort: SortSpecification?
    public let skip: Int
    public let limit: Int
}

/// `insertOne` / `insertMany`.
public struct InsertCommand: Sendable {
    public let namespace: Namespace
    /// Documents with `_id` as their first field.
    public let documents: [Document]
}

/// `updateOne` / `updateMany`.
public struct UpdateCommand: Sendable {
    public let namespace: Namespace
    let filter: Filter
    let update: Update
    public let upsert: Bool
    public let multi: Bool
}

/// `deleteOne` / `deleteMany`.
public struct DeleteCommand: Sendable {
    public let namespace: Namespace
    let filter: Filter
    public let multi: Bool
}

/// `aggregate`.
public struct AggregateCommand: Sendable {
    public let namespace: Namespace
    let pipeline: Pipeline
}

extension DataAPIError {
    /// The duplicate-key error, worded like MongoDB's E11000 on both backends.
    static func duplicateKey(_ namespace: Namespace, id: BSONValue) -> DataAPIError {
        DataAPIError(
            .duplicateKey,
            "E11000 duplicate key error collection: \(namespace) index: _id_ dup key: { _id: "
                + ExtendedJSON.serialize(id, mode: .relaxed) + " }")
    }
}
