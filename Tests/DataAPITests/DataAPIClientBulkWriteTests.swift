import BSON
import DataAPI
import FunctionRuntime
import Logging
import TestSupport
import Testing

@Suite("Data API client: bulkWrite")
struct DataAPIClientBulkWriteTests {
    func client(_ server: StubHTTPServer) -> DataAPIClient {
        DataAPIClient(
            configuration: DataAPIConfiguration(
                baseURL: server.baseURL + "/data-api", apiKey: "k-123", timeout: .seconds(5), readRetries: 2),
            transport: CurlHTTPClient(), logger: Logger(label: "test.dataapi"))
    }

    static let operations: [BulkWriteOperation] = [
        .updateOne("Locks", filter: ["_id": "cp-1", "holder": nil], update: ["$set": ["holder": "s1"]], upsert: true),
        .insertOne("Sessions", document: ["_id": "s1"]),
        .updateOne("Sessions", filter: ["_id": "s1"], update: ["$set": ["x": 1]], requireMatch: true),
    ]

    @Test("one request: database, and each operation with its collection, upsert and requireMatch only when set")
    func body() async throws {
        let reply =
            #"{"results":[{"matchedCount":0,"modifiedCount":0,"upsertedId":"cp-1"},{"insertedId":"s1"},{"matchedCount":1,"modifiedCount":1}]}"#
        try await StubHTTPServer.withServer({ _ in .json(reply) }) { server in
            let result = try client(server).bulkWrite(Self.operations)
            #expect(
                result
                    == BulkWriteResult(results: [
                        .updated(UpdateResult(matchedCount: 0, modifiedCount: 0, upsertedId: "cp-1")),
                        .inserted(id: "s1"), .updated(UpdateResult(matchedCount: 1, modifiedCount: 1)),
                    ]))
            #expect(server.requests.count == 1)
            #expect(server.requests[0].path == "/data-api/action/bulkWrite")
            let body = try ExtendedJSON.parseDocument(server.requests[0].body)
            #expect(body["collection"] == nil)
            #expect(body["database"] == "EVChargingDB")
            #expect(
                body["operations"]
                    == [
                        [
                            "updateOne": [
                                "collection": "Locks", "filter": ["_id": "cp-1", "holder": nil],
                                "update": ["$set": ["holder": "s1"]], "upsert": true,
                            ]
                        ],
                        ["insertOne": ["collection": "Sessions", "document": ["_id": "s1"]]],
                        [
                            "updateOne": [
                                "collection": "Sessions", "filter": ["_id": "s1"], "update": ["$set": ["x": 1]],
                                "requireMatch": true,
                            ]
                        ],
                    ])
        }
    }

    @Test("an operation's failure is the result's writeError, with its index and code; nothing is thrown")
    func writeError() async throws {
        let reply =
            #"{"results":[{"insertedId":"s1"}],"writeError":{"index":1,"error":"E11000 duplicate key error","error_code":"DuplicateKey"}}"#
        try await StubHTTPServer.withServer({ _ in .json(reply) }) { server in
            let result = try client(server).bulkWrite(Self.operations)
            #expect(result.results == [.inserted(id: "s1")])
            #expect(result.writeError?.index == 1)
            #expect(result.writeError?.error.code == .duplicateKey)
            #expect(result.writeError?.error.message == "E11000 duplicate key error")
        }
    }

    @Test(
        "a reply that is not a bulkWrite reply is an unexpected response",
        arguments: [
            #"{"matchedCount":1,"modifiedCount":1}"#, #"{"results":[{"what":1}]}"#,
            #"{"results":[],"writeError":{"index":0,"error":"x","error_code":"NoSuchCode"}}"#,
            #"{"results":[{"insertedId":"a"},{"insertedId":"b"},{"insertedId":"c"},{"insertedId":"d"}]}"#,
        ])
    func unexpected(reply: String) async throws {
        try await StubHTTPServer.withServer({ _ in .json(reply) }) { server in
            let error = #expect(throws: DataAPIError.self) { try client(server).bulkWrite(Self.operations) }
            #expect(error?.code == .unexpectedResponse)
        }
    }

    @Test("a failed request is thrown and never retried (a write)")
    func notRetried() async throws {
        try await StubHTTPServer.withServer({ _ in
            .json(#"{"error":"down","error_code":"ServiceUnavailable"}"#, status: 503)
        }) {
            server in
            let error = #expect(throws: DataAPIError.self) { try client(server).bulkWrite(Self.operations) }
            #expect(error?.code == .backendUnavailable)
            #expect(server.requests.count == 1)
        }
    }

    @Test("the reply document reads back as the same result")
    func roundTrip() throws {
        let result = BulkWriteResult(
            results: [.updated(UpdateResult(matchedCount: 0, modifiedCount: 0, upsertedId: "cp-1"))],
            writeError: BulkWriteError(index: 1, error: DataAPIError(.duplicateKey, "E11000 duplicate key error")))
        let document = result.document
        #expect(document.keys == ["results", "writeError"])
        #expect(document["writeError"]?.documentValue?.keys == ["index", "error", "error_code"])
        let read = try #require(BulkWriteResult(reply: document))
        #expect(read == result)
        #expect(read.writeError?.error.message == "E11000 duplicate key error")
    }
}
