import BSON
import DataAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import DataAPIServer

/// HTTP behaviour beyond the conformance cases: authentication, body limits, content negotiation,
/// the Atlas path prefix, and that refused requests write nothing.
@Suite("Data API controller")
struct ControllerTests {
    static let key = "secret-key"

    /// Runs `body` against a controller over a fresh SQLite file.
    func withServer(
        apiKeys: Set<String> = [key], maxBodyBytes: Int = 16 << 20,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let backend = try SQLiteDocumentBackend(path: directory.path + "/test.sqlite")
        try await Self.serve(backend, apiKeys: apiKeys, maxBodyBytes: maxBodyBytes, body)
    }

    /// Runs `body` against a controller over `backend`.
    static func serve(
        _ backend: any DocumentBackend, apiKeys: Set<String> = [key], maxBodyBytes: Int = 16 << 20,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let router = Router()
        DataAPIController<BasicRequestContext>(
            backend: backend, apiKeys: apiKeys, logger: Logger(label: "test"), maxBodyBytes: maxBodyBytes
        ).addRoutes(to: router.group())
        try await Application(router: router).test(.router) { client in try await body(client) }
    }

    static func body(_ document: Document) -> ByteBuffer {
        var full = document
        full["dataSource"] = "mongodb-atlas"
        full["database"] = "test"
        full["collection"] = "items"
        return ByteBuffer(bytes: ExtendedJSON.serializeBytes(.document(full), mode: .canonical))
    }

    static func json(_ response: TestResponse) throws -> Document {
        try ExtendedJSON.parseDocument(response.body.readableBytesView)
    }

    func post(
        _ client: any TestClientProtocol, _ action: String, _ document: Document, headers: HTTPFields? = nil,
        path: String = "/action/"
    ) async throws -> TestResponse {
        try await client.executeRequest(
            uri: path + action, method: .post,
            headers: headers ?? [.contentType: "application/ejson", .init("apiKey")!: Self.key],
            body: Self.body(document))
    }

    func count(_ client: any TestClientProtocol) async throws -> Int {
        let response = try await post(client, "find", ["filter": [:]])
        return try Self.json(response)["documents"]?.arrayValue?.count ?? -1
    }

    @Test("no key, wrong key and right key (apiKey header and Bearer)")
    func authentication() async throws {
        try await withServer { client in
            let insert: Document = ["document": ["_id": "a"]]
            let none = try await post(client, "insertOne", insert, headers: [.contentType: "application/json"])
            #expect(none.status.code == 401)
            #expect(try Self.json(none)["error_code"] == "Unauthorized")
            let wrong = try await post(
                client, "insertOne", insert, headers: [.contentType: "application/json", .init("apiKey")!: "nope"])
            #expect(wrong.status.code == 401)
            let wrongBearer = try await post(
                client, "insertOne", insert, headers: [.contentType: "application/json", .authorization: "Bearer x"])
            #expect(wrongBearer.status.code == 401)
            let prefix = try await post(
                client, "insertOne", insert,
                headers: [.contentType: "application/json", .init("apiKey")!: Self.key + "x"])
            #expect(prefix.status.code == 401)
            #expect(try await count(client) == 0, "a refused request wrote something")
            let right = try await post(client, "insertOne", insert)
            #expect(right.status.code == 200)
            let bearer = try await post(
                client, "insertOne", ["document": ["_id": "b"]],
                headers: [.contentType: "application/json", .authorization: "Bearer \(Self.key)"])
            #expect(bearer.status.code == 200)
            #expect(try await count(client) == 2)
        }
    }

    @Test("authentication is checked before the action name")
    func authenticationFirst() async throws {
        try await withServer { client in
            let response = try await post(client, "dropDatabase", [:], headers: [.contentType: "application/json"])
            #expect(response.status.code == 401)
        }
    }

    @Test("an empty key set (insecure mode) accepts requests without a key")
    func insecure() async throws {
        try await withServer(apiKeys: []) { client in
            let response = try await post(
                client, "insertOne", ["document": ["_id": 1]], headers: [.contentType: "application/json"])
            #expect(response.status.code == 200)
        }
    }

    @Test("an empty presented key is refused even when an empty key is configured")
    func emptyKeyRefused() async throws {
        try await withServer(apiKeys: ["", Self.key]) { client in
            let insert: Document = ["document": ["_id": "e"]]
            let emptyHeader = try await post(
                client, "insertOne", insert, headers: [.contentType: "application/json", .init("apiKey")!: ""])
            #expect(emptyHeader.status.code == 401)
            let emptyBearer = try await post(
                client, "insertOne", insert, headers: [.contentType: "application/json", .authorization: "Bearer "])
            #expect(emptyBearer.status.code == 401)
            #expect(try await count(client) == 0, "a request with an empty key wrote something")
        }
    }

    @Test("unknown action is 404 ActionNotFound")
    func unknownAction() async throws {
        try await withServer { client in
            let response = try await post(client, "replaceOne", ["filter": [:]])
            #expect(response.status.code == 404)
            #expect(try Self.json(response)["error_code"] == "ActionNotFound")
        }
    }

    @Test("oversized body is 413 and writes nothing")
    func oversized() async throws {
        try await withServer(maxBodyBytes: 1024) { client in
            let big: Document = ["document": ["_id": "big", "blob": .string(String(repeating: "x", count: 4096))]]
            let response = try await post(client, "insertOne", big)
            #expect(response.status.code == 413)
            #expect(try Self.json(response)["error_code"] == "PayloadTooLarge")
            #expect(try await count(client) == 0)
        }
    }

    @Test("malformed JSON and wrong types are 400 with a clear message and write nothing")
    func badRequests() async throws {
        try await withServer { client in
            let malformed = try await client.executeRequest(
                uri: "/action/insertOne", method: .post,
                headers: [.contentType: "application/json", .init("apiKey")!: Self.key],
                body: ByteBuffer(string: #"{"database":"test","collection":"items","document":{"_id":1,}"#))
            #expect(malformed.status.code == 400)
            #expect(try Self.json(malformed)["error_code"] == "InvalidParameter")
            let cases: [(String, Document, String)] = [
                ("updateOne", ["filter": "x", "update": ["$set": ["a": 1]]], "filter"),
                ("updateOne", ["filter": [:], "update": [1, 2]], "update"),
                ("updateMany", ["filter": [:], "update": ["$set": 5]], "$set"),
                ("find", ["filter": ["a": ["$gt": 1, "$where": "x"]]], "$where"),
                ("insertOne", ["document": ["a": 1], "filter": [:]], "filter"),
                ("aggregate", ["pipeline": [["$out": "x"]]], "$out"),
            ]
            for (action, document, mention) in cases {
                let response = try await post(client, action, document)
                #expect(response.status.code == 400, "\(action) \(document)")
                let message = try Self.json(response)["error"]?.stringValue ?? ""
                #expect(message.contains(mention), "\(message) should mention \(mention)")
            }
            #expect(try await count(client) == 0)
        }
    }

    @Test("a computed $project field on a dotted path is refused, not silently dropped")
    func dottedComputedProjection() async throws {
        try await withServer { client in
            _ = try await post(client, "insertOne", ["document": ["_id": 1, "x": 5, "a": ["c": 1]]])
            let response = try await post(client, "aggregate", ["pipeline": [["$project": ["a.b": "$x"]]]])
            #expect(response.status.code == 400, "\(String(buffer: response.body))")
            #expect((try Self.json(response)["error"]?.stringValue ?? "").contains("a.b"))
        }
    }

    @Test("unsupported Content-Type is 400")
    func contentType() async throws {
        try await withServer { client in
            let response = try await post(
                client, "find", ["filter": [:]],
                headers: [.contentType: "application/x-www-form-urlencoded", .init("apiKey")!: Self.key])
            #expect(response.status.code == 400)
        }
    }

    @Test("Accept chooses canonical or relaxed EJSON")
    func negotiation() async throws {
        try await withServer { client in
            _ = try await post(client, "insertOne", ["document": ["_id": 1, "n": 5]])
            let canonical = try await post(
                client, "findOne", ["filter": ["_id": 1]],
                headers: [.contentType: "application/json", .accept: "application/ejson", .init("apiKey")!: Self.key])
            #expect(canonical.headers[.contentType] == "application/ejson")
            #expect(String(buffer: canonical.body).contains(#"{"$numberInt":"5"}"#))
            let relaxed = try await post(
                client, "findOne", ["filter": ["_id": 1]],
                headers: [.contentType: "application/ejson", .accept: "application/json", .init("apiKey")!: Self.key])
            #expect(relaxed.headers[.contentType] == "application/json")
            #expect(String(buffer: relaxed.body) == #"{"document":{"_id":1,"n":5}}"#)
        }
    }

    @Test("the Atlas path prefix /app/{appId}/endpoint/data/v1 works")
    func atlasPrefix() async throws {
        try await withServer { client in
            let response = try await post(
                client, "insertOne", ["document": ["_id": "atlas"]], path: "/app/data-abcde/endpoint/data/v1/action/")
            #expect(response.status.code == 200)
            #expect(try Self.json(response)["insertedId"] == "atlas")
        }
    }
}

/// The SQLite backend narrows candidates through its expression indexes instead of scanning.
@Suite("SQLite indexes")
struct SQLiteIndexTests {
    @Test(
        "lookups by sessionId, chargingPointId + status, startTime and _id use an index",
        arguments: [
            (#"{"sessionId": "s-1"}"#, "documents_session"),
            (#"{"chargingPointId": "cp-1", "status": "Charging"}"#, "documents_point_status"),
            (#"{"startTime": {"$gte": {"$date": "2026-01-01T00:00:00Z"}}}"#, "documents_start"),
            (#"{"_id": "x"}"#, "sqlite_autoindex_documents_1"),
        ])
    func indexUsed(filter: String, index: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let backend = try SQLiteDocumentBackend(path: directory.path + "/plan.sqlite")
        let plan = try await backend.queryPlan(
            try Namespace(database: "db", collection: "ChargingSessions"),
            filter: try ExtendedJSON.parseDocument(Array(filter.utf8)))
        #expect(plan.contains { $0.contains(index) }, "plan: \(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN documents") }, "plan: \(plan)")
    }
}

/// Unit checks of the comparison order the query engine uses.
@Suite("BSON order")
struct BSONOrderTests {
    @Test("MongoDB type order and numeric equality across types")
    func order() {
        let ascending: [BSONValue] = [
            .null, .int32(-1), .double(0.5), .int64(2), "a", "b", ["k": 1], [1], .objectId(ObjectId()), false, true,
            .datetime(0),
        ]
        for (a, b) in zip(ascending, ascending.dropFirst()) {
            #expect(BSONOrder.compare(a, b) < 0, "\(a) < \(b)")
        }
        #expect(BSONOrder.equal(.int32(1), .double(1.0)))
        #expect(BSONOrder.equal(.int64(5_000_000_000), .double(5e9)))
        #expect(BSONOrder.compare(nil, .null) == 0)
    }
}
