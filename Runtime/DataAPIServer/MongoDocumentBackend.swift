import BSON
import CMongoc
import Foundation

/// The MongoDB backend: libmongoc 1.23 with one thread-safe `mongoc_client_pool_t`. Documents cross
/// the boundary as canonical Extended JSON (libbson's `bson_new_from_json` /
/// `bson_as_canonical_extended_json`), so types survive both ways. The blocking driver calls run on
/// Dispatch's global queue, off Swift's cooperative pool.
///
/// Writes use write concern `majority` by default. A filtered `updateOne` is MongoDB's own atomic
/// single-document update, so compare-and-set holds. Server errors map to the same envelope as the
/// SQLite backend: E11000 → 409, invalid requests → 400, unreachable server → 503, the rest → 500.
public struct MongoDocumentBackend: DocumentBackend {
    let pool: MongoClientPool

    /// - Parameters:
    ///   - uri: a `mongodb://` or `mongodb+srv://` connection string; `serverSelectionTimeoutMS`
    ///     defaults to 5000 when it does not set one.
    ///   - writeConcernMajority: `w: "majority"` on every write (otherwise the server default).
    public init(uri: String, writeConcernMajority: Bool = true) throws {
        pool = try MongoClientPool(uri: uri, writeConcernMajority: writeConcernMajority)
    }

    public func find(_ command: FindCommand) async throws -> [Document] {
        var opts = Document()
        if let projection = command.projection { opts["projection"] = .document(projection.document) }
        if let sort = command.sort { opts["sort"] = .document(sort.document) }
        if command.skip > 0 { opts["skip"] = .int32(Int32(command.skip)) }
        if command.limit > 0 { opts["limit"] = .int32(Int32(command.limit)) }
        if command.limit == 1 { opts["singleBatch"] = .bool(true) }
        let (filter, options) = (command.filter.document, opts)
        return try await pool.withCollection(command.namespace) { collection in
            let filterBSON = try BSONBridge.bson(filter)
            defer { bson_destroy(filterBSON) }
            let optionsBSON = try BSONBridge.bson(options)
            defer { bson_destroy(optionsBSON) }
            let cursor = mongoc_collection_find_with_opts(collection, filterBSON, optionsBSON, nil)
            return try BSONBridge.drain(cursor)
        }
    }

    public func insert(_ command: InsertCommand) async throws -> [BSONValue] {
        let documents = command.documents
        try await pool.withCollection(command.namespace) { collection in
            var bsons = [OpaquePointer?]()
            defer { bsons.forEach { bson_destroy($0) } }
            for document in documents { bsons.append(try BSONBridge.bson(document)) }
            let reply = evcsm_bson_reply_new()
            defer { evcsm_bson_reply_free(reply) }
            var error = bson_error_t()
            let ok: Bool
            if bsons.count == 1 {
                ok = mongoc_collection_insert_one(collection, bsons[0], nil, reply, &error)
            } else {
                ok = bsons.withUnsafeMutableBufferPointer { buffer in
                    buffer.baseAddress!.withMemoryRebound(to: OpaquePointer?.self, capacity: buffer.count) { base in
                        mongoc_collection_insert_many(collection, base, buffer.count, nil, reply, &error)
                    }
                }
            }
            guard ok else { throw MongoErrorMapping.map(error, reply: reply) }
        }
        return documents.map { $0["_id"] ?? .null }
    }

    public func update(_ command: UpdateCommand) async throws -> UpdateResult {
        let (filter, update) = (command.filter.document, command.update.document)
        let (upsert, multi, replacement) = (command.upsert, command.multi, command.update.isReplacement)
        return try await pool.withCollection(command.namespace) { collection in
            let filterBSON = try BSONBridge.bson(filter)
            defer { bson_destroy(filterBSON) }
            let updateBSON = try BSONBridge.bson(update)
            defer { bson_destroy(updateBSON) }
            let optionsBSON = try BSONBridge.bson(upsert ? ["upsert": true] : [:])
            defer { bson_destroy(optionsBSON) }
            let reply = evcsm_bson_reply_new()
            defer { evcsm_bson_reply_free(reply) }
            var error = bson_error_t()
            let ok: Bool
            if replacement {
                ok = mongoc_collection_replace_one(collection, filterBSON, updateBSON, optionsBSON, reply, &error)
            } else if multi {
                ok = mongoc_collection_update_many(collection, filterBSON, updateBSON, optionsBSON, reply, &error)
            } else {
                ok = mongoc_collection_update_one(collection, filterBSON, updateBSON, optionsBSON, reply, &error)
            }
            guard ok else { throw MongoErrorMapping.map(error, reply: reply) }
            let result = try BSONBridge.document(reply)
            return UpdateResult(
                matchedCount: Int(result["matchedCount"]?.int64Value ?? 0),
                modifiedCount: Int(result["modifiedCount"]?.int64Value ?? 0), upsertedId: result["upsertedId"])
        }
    }

    public func delete(_ command: DeleteCommand) async throws -> Int {
        let (filter, multi) = (command.filter.document, command.multi)
        return try await pool.withCollection(command.namespace) { collection in
            let filterBSON = try BSONBridge.bson(filter)
            defer { bson_destroy(filterBSON) }
            let reply = evcsm_bson_reply_new()
            defer { evcsm_bson_reply_free(reply) }
            var error = bson_error_t()
            let ok =
                multi
                ? mongoc_collection_delete_many(collection, filterBSON, nil, reply, &error)
                : mongoc_collection_delete_one(collection, filterBSON, nil, reply, &error)
            guard ok else { throw MongoErrorMapping.map(error, reply: reply) }
            return Int(try BSONBridge.document(reply)["deletedCount"]?.int64Value ?? 0)
        }
    }

    public func aggregate(_ command: AggregateCommand) async throws -> [Document] {
        let pipeline: Document = ["pipeline": .array(command.pipeline.documents.map { .document($0) })]
        return try await pool.withCollection(command.namespace) { collection in
            let pipelineBSON = try BSONBridge.bson(pipeline)
            defer { bson_destroy(pipelineBSON) }
            let cursor = mongoc_collection_aggregate(collection, MONGOC_QUERY_NONE, pipelineBSON, nil, nil)
            // One past the result cap is enough to refuse a larger result.
            return try BSONBridge.drain(cursor, limit: DataAPILimits.maxResultDocuments + 1)
        }
    }
}

/// Owns the `mongoc_client_pool_t` (thread-safe by libmongoc's contract) and runs blocking driver
/// work on Dispatch's global queue.
final class MongoClientPool: @unchecked Sendable {
    private let pool: OpaquePointer
    private let uri: OpaquePointer
    private let writeConcern: OpaquePointer?

    private static let initialized: Bool = {
        mongoc_init()
        return true
    }()

    init(uri text: String, writeConcernMajority: Bool) throws {
        _ = Self.initialized
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(text, &error) else {
            let cause = MongoDriverError(error)
            throw DataAPIError(.invalidParameter, "invalid MongoDB URI: \(cause.message)", underlying: cause)
        }
        if !mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS) {
            _ = mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000)
        }
        guard let pool = mongoc_client_pool_new_with_error(uri, &error) else {
            mongoc_uri_destroy(uri)
            let cause = MongoDriverError(error)
            throw DataAPIError(.invalidParameter, "MongoDB client pool: \(cause.message)", underlying: cause)
        }
        _ = mongoc_client_pool_set_error_api(pool, 2)
        _ = mongoc_client_pool_set_appname(pool, "evcsm-data-api")
        self.uri = uri
        self.pool = pool
        if writeConcernMajority {
            let concern = mongoc_write_concern_new()
            mongoc_write_concern_set_w(concern, MONGOC_WRITE_CONCERN_W_MAJORITY)
            writeConcern = concern
        } else {
            writeConcern = nil
        }
    }

    deinit {
        mongoc_client_pool_destroy(pool)
        mongoc_uri_destroy(uri)
        if let writeConcern { mongoc_write_concern_destroy(writeConcern) }
    }

    /// Pops a client, runs `body` on a Dispatch thread, and pushes the client back.
    func withClient<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        let client = mongoc_client_pool_pop(self.pool)!
                        defer { mongoc_client_pool_push(self.pool, client) }
                        return try body(client)
                    })
            }
        }
    }

    /// Pops a client, opens the collection, runs `body` on a Dispatch thread, and cleans up.
    func withCollection<T: Sendable>(
        _ namespace: Namespace, _ body: @escaping @Sendable (OpaquePointer) throws -> T
    ) async throws -> T {
        try await withClient { client in
            let collection = mongoc_client_get_collection(client, namespace.database, namespace.collection)!
            defer { mongoc_collection_destroy(collection) }
            if let concern = self.writeConcern { mongoc_collection_set_write_concern(collection, concern) }
            return try body(collection)
        }
    }
}

/// BSON ↔ ``Document`` through canonical Extended JSON.
enum BSONBridge {
    /// A new heap `bson_t` (free with `bson_destroy`).
    static func bson(_ document: Document) throws -> OpaquePointer {
        let json = ExtendedJSON.serializeBytes(.document(document), mode: .canonical)
        var error = bson_error_t()
        let bson = json.withUnsafeBufferPointer { buffer in
            bson_new_from_json(buffer.baseAddress, ssize_t(buffer.count), &error)
        }
        guard let bson else {
            let cause = MongoDriverError(error)
            throw DataAPIError(.invalidParameter, "cannot encode BSON: \(cause.message)", underlying: cause)
        }
        return bson
    }

    static func document(_ bson: OpaquePointer?) throws -> Document {
        guard let bson else { return Document() }
        var length = 0
        guard let text = bson_as_canonical_extended_json(bson, &length) else {
            throw DataAPIError(.backendFailure, "cannot decode a BSON document from MongoDB")
        }
        defer { bson_free(text) }
        let bytes = UnsafeRawBufferPointer(start: text, count: length)
        do {
            return try ExtendedJSON.parseDocument(bytes, maximumDepth: DataAPILimits.storedJSONDepth)
        } catch {
            throw DataAPIError(.backendFailure, "MongoDB returned a document with unsupported types", underlying: error)
        }
    }

    /// Reads every document of a cursor (at most `limit`), then destroys it.
    static func drain(_ cursor: OpaquePointer?, limit: Int = .max) throws -> [Document] {
        guard let cursor else { throw DataAPIError(.backendFailure, "MongoDB returned no cursor") }
        defer { mongoc_cursor_destroy(cursor) }
        var documents = [Document]()
        var current: OpaquePointer?
        while documents.count < limit, mongoc_cursor_next(cursor, &current) {
            documents.append(try document(current))
        }
        var error = bson_error_t()
        var reply: OpaquePointer?
        if mongoc_cursor_error_document(cursor, &error, &reply) {
            throw MongoErrorMapping.map(error, reply: nil)
        }
        return documents
    }
}

/// A libmongoc / libbson error (`bson_error_t`) as a Swift error: the cause kept in a ``DataAPIError``.
struct MongoDriverError: Error, CustomStringConvertible {
    let domain: UInt32
    let code: UInt32
    let message: String

    init(_ error: bson_error_t) {
        var copy = error
        domain = error.domain
        code = error.code
        message = String(cString: evcsm_bson_error_message(&copy))
    }

    var description: String { "libmongoc error \(domain).\(code): \(message)" }
}

/// libmongoc errors → ``DataAPIError``. The caller sees the server's message where it is about the request
/// (duplicate key, invalid request); for unavailability and failures only what happened, while the
/// driver's own message, naming hosts and internals, stays in `underlying` for the log.
enum MongoErrorMapping {
    /// Server codes that mean the request itself was invalid (among them 22 InvalidBSON, which the mongoeco
    /// stand-in answers for dates outside Python's range, and 10334/17419, a document past 16 MiB).
    private static let badRequestCodes: Set<UInt32> = [
        2, 9, 14, 15, 16, 17, 20, 22, 28, 40, 52, 54, 55, 56, 57, 66, 72, 168, 10065, 10334, 15973, 15974, 15976,
        15992, 16410, 16840, 17276, 31249, 31250, 31253, 31254, 40157, 40323, 40324, 40353, 51075, 17419,
    ]

    static func map(_ error: bson_error_t, reply: OpaquePointer?) -> DataAPIError {
        let cause = MongoDriverError(error)
        if cause.code == 11000 || cause.code == 11001 || cause.message.contains("E11000") {
            return DataAPIError(.duplicateKey, cause.message, underlying: cause)
        }
        switch cause.domain {
        case MONGOC_ERROR_SERVER_SELECTION.rawValue, MONGOC_ERROR_STREAM.rawValue, MONGOC_ERROR_CLIENT.rawValue:
            return DataAPIError(.backendUnavailable, "MongoDB is unavailable", underlying: cause)
        default:
            break
        }
        if badRequestCodes.contains(cause.code) {
            return DataAPIError(.invalidParameter, cause.message, underlying: cause)
        }
        return DataAPIError(.backendFailure, "MongoDB error \(cause.code)", underlying: cause)
    }
}
