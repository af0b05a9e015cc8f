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
    /// The claim upsert of `cp-1` succeeded (the lock document was created).
    static let pointClaimed = RecordedExchange(
        "updateOne", "ChargingPoints", #"{"matchedCount":0,"modifiedCount":0,"upsertedId":"cp-1"}"#)
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
        #expect(document["collection"] == .string(exchange.collection))
        #expect(document["database"] == "EVChargingDB")
        #expect(document["dataSource"] == "mongodb-atlas")
        bodies.append(document)
    }
    return bodies
}
