import BSON
import Essentials
import FunctionRuntime
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A MongoDB Data API v1 client over an ``HTTPTransport`` (libcurl in the functions).
///
/// Requests and responses are canonical Extended JSON, so dates stay dates and integers stay
/// integers. Synchronous, like the transport: a function serves one invocation at a time.
public struct DataAPIClient: Sendable {
    /// Where and how the client calls.
    public let configuration: DataAPIConfiguration
    private let transport: any HTTPTransport
    private let logger: Logger
    /// `{baseURL}/action/{name}` of every action, and the headers of every request, built once.
    private let actionURLs: [DataAPIAction: String]
    private let headers: [(String, String)]

    /// A client sending through `transport`.
    public init(configuration: DataAPIConfiguration, transport: any HTTPTransport, logger: Logger) {
        self.configuration = configuration
        self.transport = transport
        self.logger = logger
        actionURLs = Dictionary(
            uniqueKeysWithValues: DataAPIAction.allCases.map { ($0, "\(configuration.baseURL)/action/\($0.rawValue)") })
        headers = [
            ("Content-Type", "application/ejson"), ("Accept", "application/ejson"), ("apiKey", configuration.apiKey),
        ]
    }

    /// The first document matching `filter`, nil when none does.
    public func findOne(
        _ collection: String, filter: Document, projection: Document? = nil
    ) throws(DataAPIError)
        -> Document?
    {
        var body = base(collection)
        body["filter"] = .document(filter)
        if let projection { body["projection"] = .document(projection) }
        let reply = try call(.findOne, body)
        switch reply["document"] {
        case .document(let d)?: return d
        case .null?, nil: return nil
        default: throw DataAPIError(.unexpectedResponse, "findOne: document is not an object")
        }
    }

    /// The documents matching `filter`, sorted, skipped and limited by the server.
    public func find(
        _ collection: String, filter: Document, projection: Document? = nil, sort: Document? = nil, limit: Int? = nil,
        skip: Int? = nil
    ) throws(DataAPIError) -> [Document] {
        let body = findBody(collection, filter: filter, projection: projection, sort: sort, limit: limit, skip: skip)
        return try documents(try call(.find, body), action: .find)
    }

    /// The body of a `find` action.
    private func findBody(
        _ collection: String, filter: Document, projection: Document?, sort: Document?, limit: Int?, skip: Int?
    ) -> Document {
        var body = base(collection)
        body["filter"] = .document(filter)
        if let projection { body["projection"] = .document(projection) }
        if let sort { body["sort"] = .document(sort) }
        if let limit { body["limit"] = .integer(Int64(limit)) }
        if let skip { body["skip"] = .integer(Int64(skip)) }
        return body
    }

    /// ``find(_:filter:projection:sort:limit:skip:)`` with each document reduced to `fields`, read from the reply
    /// without a ``Document`` per row (the same values; a reply of another shape is read the general way).
    public func find(
        _ collection: String, filter: Document, sort: Document? = nil, limit: Int? = nil,
        fields: ExtendedJSONFields
    ) throws(DataAPIError) -> ExtendedJSONRows {
        let body = findBody(collection, filter: filter, projection: nil, sort: sort, limit: limit, skip: nil)
        return try call(.find, body) { response throws(DataAPIError) in
            if (200..<300).contains(response.status),
                let rows = ExtendedJSON.rows(in: response.body, key: "documents", fields: fields)
            {
                return rows
            }
            let documents = try documents(try reply(.find, response), action: .find)
            return ExtendedJSONRows(documents: documents, fields: fields)
        }
    }

    /// Inserts a document; returns its `_id` (a new ObjectId when the document had none).
    public func insertOne(_ collection: String, document: Document) throws(DataAPIError) -> BSONValue {
        var body = base(collection)
        body["document"] = .document(document)
        guard let id = try call(.insertOne, body)["insertedId"] else {
            throw DataAPIError(.unexpectedResponse, "insertOne: no insertedId")
        }
        return id
    }

    /// Inserts documents in order; returns their ids.
    public func insertMany(_ collection: String, documents: [Document]) throws(DataAPIError) -> [BSONValue] {
        var body = base(collection)
        body["documents"] = .array(documents.map { .document($0) })
        guard case .array(let ids)? = try call(.insertMany, body)["insertedIds"] else {
            throw DataAPIError(.unexpectedResponse, "insertMany: no insertedIds")
        }
        return ids
    }

    /// Updates the first matching document (or inserts one when nothing matches and `upsert`).
    public func updateOne(
        _ collection: String, filter: Document, update: Document, upsert: Bool = false
    )
        throws(DataAPIError) -> UpdateResult
    {
        try updateResult(try call(.updateOne, updateBody(collection, filter, update, upsert)))
    }

    /// Updates every matching document (or inserts one when nothing matches and `upsert`).
    public func updateMany(
        _ collection: String, filter: Document, update: Document, upsert: Bool = false
    )
        throws(DataAPIError) -> UpdateResult
    {
        try updateResult(try call(.updateMany, updateBody(collection, filter, update, upsert)))
    }

    /// Deletes the first matching document; returns how many were deleted (0 or 1).
    public func deleteOne(_ collection: String, filter: Document) throws(DataAPIError) -> Int {
        var body = base(collection)
        body["filter"] = .document(filter)
        return try count(try call(.deleteOne, body), "deletedCount")
    }

    /// Deletes every matching document; returns how many were deleted.
    public func deleteMany(_ collection: String, filter: Document) throws(DataAPIError) -> Int {
        var body = base(collection)
        body["filter"] = .document(filter)
        return try count(try call(.deleteMany, body), "deletedCount")
    }

    /// Runs an aggregation pipeline; returns its output documents.
    public func aggregate(_ collection: String, pipeline: [Document]) throws(DataAPIError) -> [Document] {
        var body = base(collection)
        body["pipeline"] = .array(pipeline.map { .document($0) })
        return try documents(try call(.aggregate, body), action: .aggregate)
    }

    // MARK: - Wire

    private func base(_ collection: String) -> Document {
        [
            "dataSource": .string(configuration.dataSource), "database": .string(configuration.database),
            "collection": .string(collection),
        ]
    }

    private func updateBody(_ collection: String, _ filter: Document, _ update: Document, _ upsert: Bool) -> Document {
        var body = base(collection)
        body["filter"] = .document(filter)
        body["update"] = .document(update)
        if upsert { body["upsert"] = .bool(true) }
        return body
    }

    private func documents(_ reply: Document, action: DataAPIAction) throws(DataAPIError) -> [Document] {
        guard case .array(let items)? = reply["documents"] else {
            throw DataAPIError(.unexpectedResponse, "\(action.rawValue): no documents array")
        }
        var result = [Document]()
        result.reserveCapacity(items.count)
        for item in items {
            guard case .document(let d) = item else {
                throw DataAPIError(.unexpectedResponse, "\(action.rawValue): a document is not an object")
            }
            result.append(d)
        }
        return result
    }

    private func count(_ reply: Document, _ key: String) throws(DataAPIError) -> Int {
        guard let n = reply[key]?.int64Value else { throw DataAPIError(.unexpectedResponse, "no \(key) in reply") }
        return Int(n)
    }

    private func updateResult(_ reply: Document) throws(DataAPIError) -> UpdateResult {
        UpdateResult(
            matchedCount: try count(reply, "matchedCount"), modifiedCount: try count(reply, "modifiedCount"),
            upsertedId: reply["upsertedId"])
    }

    /// Posts one action, retrying reads after transport failures and 5xx answers.
    public func call(_ action: DataAPIAction, _ body: Document) throws(DataAPIError) -> Document {
        try call(action, body) { response throws(DataAPIError) in try reply(action, response) }
    }

    /// Posts one action and reads its answer with `read`, retrying reads after transport failures and 5xx
    /// answers (a `read` throwing one of those codes counts as such an answer).
    private func call<Reply>(
        _ action: DataAPIAction, _ body: Document, read: (HTTPClientResponse) throws(DataAPIError) -> Reply
    ) throws(DataAPIError) -> Reply {
        let request = HTTPClientRequest(
            method: "POST", url: actionURLs[action] ?? "\(configuration.baseURL)/action/\(action.rawValue)",
            headers: headers,
            body: ExtendedJSON.serializeBytes(.document(body), mode: .canonical), timeout: configuration.timeout,
            connectTimeout: configuration.connectTimeout)
        let attempts = action.isRead ? configuration.readRetries + 1 : 1
        var lastError = DataAPIError(.transport, "no attempt made")
        let clock = ContinuousClock()
        for attempt in 1...attempts {
            let started = clock.now
            do {
                return try read(try exchange(action, request))
            } catch {
                lastError = error
                let retryable =
                    error.code == .transport || error.code == .backendFailure
                    || error.code == .backendUnavailable
                let fast = clock.now - started < configuration.timeout / 2
                guard retryable, fast, attempt < attempts else { break }
                logger.warning(
                    "Data API \(action.rawValue) failed, retrying",
                    metadata: ["attempt": "\(attempt)", "error": "\(error.debugDescription)"])
                usleep(UInt32(50_000 * attempt))
            }
        }
        throw lastError
    }

    private func exchange(
        _ action: DataAPIAction, _ request: HTTPClientRequest
    ) throws(DataAPIError) -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try transport.send(request)
        } catch {
            throw DataAPIError(.transport, "Data API \(action.rawValue): \(error.message)", underlying: error)
        }
        logger.debug(
            "Data API call", metadata: ["action": "\(action.rawValue)", "status": "\(response.status)"])
        return response
    }

    /// The reply document of a 2xx answer; the Data API's error (or what is wrong with the answer) otherwise.
    private func reply(_ action: DataAPIAction, _ response: HTTPClientResponse) throws(DataAPIError) -> Document {
        let reply: Document
        do {
            reply = try ExtendedJSON.parseDocument(response.body)
        } catch {
            throw DataAPIError(
                response.status >= 500 ? .forStatus(response.status) : .unexpectedResponse,
                "Data API \(action.rawValue) answered \(response.status) with a body that is not JSON",
                underlying: error)
        }
        guard (200..<300).contains(response.status) else {
            let code =
                reply["error_code"]?.stringValue.flatMap(DataAPIErrorCode.init(rawValue:))
                ?? .forStatus(response.status)
            let message = reply["error"]?.stringValue ?? "HTTP \(response.status)"
            throw DataAPIError(code, message)
        }
        return reply
    }
}
