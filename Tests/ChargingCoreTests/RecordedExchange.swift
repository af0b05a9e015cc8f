import BSON
import ChargingCore
import DataAPI
import Foundation
import FunctionRuntime
import Logging
import Synchronization
import TestSupport
import Testing

/// One recorded Data API exchange: the action the store must call and the answer the server gave.
struct RecordedExchange: Sendable {
    let action: String
    let collection: String
    let status: Int
    let response: String

    init(_ action: String, _ collection: String, status: Int = 200, _ response: String) {
        self.action = action
        self.collection = collection
        self.status = status
        self.response = response
    }
}

extension RecordedExchange {
    /// A start's `bulkWrite` (claim of `cp-1`, insert of `sessionId`) that did both.
    static func started(_ sessionId: String) -> RecordedExchange {
        RecordedExchange(
            "bulkWrite", "ChargingPoints",
            #"{"results":[{"matchedCount":0,"modifiedCount":0,"upsertedId":"cp-1"},{"insertedId":"\#(sessionId)"}]}"#)
    }

    /// A start's `bulkWrite` whose claim was refused as a duplicate key (the point is held).
    static let claimRefused = RecordedExchange(
        "bulkWrite", "ChargingPoints",
        #"{"results":[],"writeError":{"error":"E11000 duplicate key error collection: EVChargingDB.ChargingPoints index: _id_ dup key: { _id: \"cp-1\" }","error_code":"DuplicateKey","index":0}}"#
    )

    /// A stop's `bulkWrite` (compare-and-set, release) that did both.
    static let stopped = RecordedExchange(
        "bulkWrite", "ChargingSessions",
        #"{"results":[{"matchedCount":{"$numberInt":"1"},"modifiedCount":{"$numberInt":"1"}},{"matchedCount":{"$numberInt":"1"},"modifiedCount":{"$numberInt":"1"}}]}"#
    )

    /// A stop's `bulkWrite` whose compare-and-set matched nothing (the session changed since it was read).
    static let compareAndSetLost = RecordedExchange(
        "bulkWrite", "ChargingSessions",
        #"{"results":[{"matchedCount":{"$numberInt":"0"},"modifiedCount":{"$numberInt":"0"}}]}"#)
}

extension Document {
    /// Operation `index` of a `bulkWrite` body: its kind (`insertOne`, `updateOne`) and its fields.
    func bulkOperation(_ index: Int) -> (kind: String, fields: Document)? {
        guard case .array(let operations)? = self["operations"], index < operations.count,
            case .document(let wrapper) = operations[index], let kind = wrapper.keys.first,
            case .document(let fields)? = wrapper[kind]
        else { return nil }
        return (kind, fields)
    }
}

/// Replays recorded Data API answers (canonical EJSON, as the server sends for `Accept: application/ejson`)
/// in order, and returns the request bodies the store sent.
func replay(
    _ exchanges: [RecordedExchange], _ body: @Sendable (DataAPISessionStore) async throws -> Void
) async throws -> [Document] {
    try await replay(exchanges, making: DataAPISessionStore.init, body)
}

/// ``replay(_:_:)`` for any Data API user that `making` builds from the client and a logger.
func replay<Subject>(
    _ exchanges: [RecordedExchange], making: @Sendable (DataAPIClient, Logger) -> Subject,
    _ body: @Sendable (Subject) async throws -> Void
) async throws -> [Document] {
    let queue = Mutex(exchanges[...])
    let requests = try await StubHTTPServer.withServer({ request in
        guard let next = queue.withLock({ $0.popFirst() }) else {
            return .json(#"{"error":"unexpected request","error_code":"InternalServerError"}"#, status: 500)
        }
        guard request.path == "/data-api/action/\(next.action)" else {
            return .json(#"{"error":"expected \#(next.action)","error_code":"InvalidParameter"}"#, status: 400)
        }
        return .json(next.response, status: next.status)
    }) { server in
        let client = DataAPIClient(
            configuration: DataAPIConfiguration(
                baseURL: server.baseURL + "/data-api", apiKey: "test-key", readRetries: 0),
            transport: CurlHTTPClient(), logger: Logger(label: "test"))
        try await body(making(client, Logger(label: "test")))
        return server.requests
    }
    #expect(requests.count == exchanges.count, "\(requests)")
    var bodies: [Document] = []
    for (request, exchange) in zip(requests, exchanges) {
        #expect(request.method == "POST")
        #expect(request.path == "/data-api/action/\(exchange.action)")
        #expect(request.header("apiKey") == "test-key")
        #expect(request.header("content-type") == "application/ejson")
        let document = try ExtendedJSON.parseDocument(request.body)
        // A bulkWrite names its collections per operation: the first one's is compared.
        let collection =
            exchange.action == "bulkWrite" ? document.bulkOperation(0)?.fields["collection"] : document["collection"]
        #expect(collection == .string(exchange.collection))
        #expect(document["database"] == "EVChargingDB")
        #expect(document["dataSource"] == "mongodb-atlas")
        bodies.append(document)
    }
    return bodies
}
