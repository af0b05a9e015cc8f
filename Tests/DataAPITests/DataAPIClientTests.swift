import BSON
import DataAPI
import FunctionRuntime
import Logging
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Data API client against a replaying server")
struct DataAPIClientTests {
    static let logger = Logger(label: "test.dataapi")

    func client(_ server: StubHTTPServer, retries: Int = 2) -> DataAPIClient {
        DataAPIClient(
            configuration: DataAPIConfiguration(
                baseURL: server.baseURL + "/data-api/", apiKey: "k-123", timeout: .seconds(5), readRetries: retries),
            transport: CurlHTTPClient(), logger: Self.logger)
    }

    @Test("findOne posts canonical EJSON with the apiKey and decodes dates and ints")
    func findOne() async throws {
        let reply = #"""
            {"document":{"_id":{"$oid":"656f1c2e9d1b2a3c4d5e6f70"},"sessionId":"s-1","energyWh":{"$numberLong":"15500"},
             "startTime":{"$date":{"$numberLong":"1796209795500"}}}}
            """#
        try await StubHTTPServer.withServer({ _ in .json(reply) }) { server in
            let doc = try client(server).findOne(
                "ChargingSessions", filter: ["sessionId": "s-1"], projection: ["energyWh": 1])
            #expect(doc?["energyWh"] == .int64(15500))
            #expect(doc?["startTime"] == .datetime(1_796_209_795_500))
            let request = try #require(server.requests.first)
            #expect(request.method == "POST")
            #expect(request.path == "/data-api/action/findOne")
            #expect(request.header("apiKey") == "k-123")
            #expect(request.header("content-type") == "application/ejson")
            #expect(request.header("accept") == "application/ejson")
            let body = try ExtendedJSON.parseDocument(request.body)
            #expect(body["dataSource"] == "mongodb-atlas")
            #expect(body["database"] == "EVChargingDB")
            #expect(body["collection"] == "ChargingSessions")
            #expect(body["filter"] == .document(["sessionId": "s-1"]))
            #expect(body["projection"] == .document(["energyWh": .int32(1)]))
            #expect(request.bodyText.contains(#""$numberInt":"1""#))
        }
    }

    @Test("findOne with no match returns nil")
    func findOneNull() async throws {
        try await StubHTTPServer.withServer({ _ in .json(#"{"document":null}"#) }) { server in
            let found = try client(server).findOne("C", filter: [:])
            #expect(found == nil)
        }
    }

    @Test("find sends sort, limit and skip and returns the documents in order")
    func find() async throws {
        try await StubHTTPServer.withServer({ _ in .json(#"{"documents":[{"n":1},{"n":2}]}"#) }) { server in
            let docs = try client(server).find(
                "C", filter: ["status": "Stopped"], sort: ["startTime": -1, "_id": -1], limit: 10, skip: 20)
            #expect(docs.map { $0["n"] } == [.int32(1), .int32(2)])
            let body = try ExtendedJSON.parseDocument(try #require(server.requests.first).body)
            #expect(body["sort"]?.documentValue?.keys == ["startTime", "_id"])
            #expect(body["limit"] == .int32(10))
            #expect(body["skip"] == .int32(20))
        }
    }

    @Test("writes decode insertedId, counts and upsertedId")
    func writes() async throws {
        try await StubHTTPServer.withServer({ request in
            switch request.path {
            case "/data-api/action/insertOne": return .json(#"{"insertedId":"cp-1"}"#, status: 201)
            case "/data-api/action/insertMany": return .json(#"{"insertedIds":["a","b"]}"#, status: 201)
            case "/data-api/action/updateOne":
                return .json(#"{"matchedCount":0,"modifiedCount":0,"upsertedId":"cp-2"}"#)
            case "/data-api/action/updateMany": return .json(#"{"matchedCount":3,"modifiedCount":2}"#)
            case "/data-api/action/deleteOne", "/data-api/action/deleteMany": return .json(#"{"deletedCount":1}"#)
            default: return .json(#"{"documents":[{"total":{"$numberLong":"5"}}]}"#)
            }
        }) { server in
            let c = client(server)
            #expect(try c.insertOne("C", document: ["_id": "cp-1"]) == "cp-1")
            #expect(try c.insertMany("C", documents: [["_id": "a"], ["_id": "b"]]) == ["a", "b"])
            #expect(
                try c.updateOne("C", filter: ["_id": "cp-2"], update: ["$set": ["x": 1]], upsert: true)
                    == UpdateResult(matchedCount: 0, modifiedCount: 0, upsertedId: "cp-2"))
            #expect(
                try c.updateMany("C", filter: [:], update: ["$inc": ["n": 1]])
                    == UpdateResult(matchedCount: 3, modifiedCount: 2))
            #expect(try c.deleteOne("C", filter: ["_id": "a"]) == 1)
            #expect(try c.deleteMany("C", filter: [:]) == 1)
            #expect(try c.aggregate("C", pipeline: [["$count": "total"]]) == [["total": .int64(5)]])
            let upsertBody = try ExtendedJSON.parseDocument(server.requests[2].body)
            #expect(upsertBody["upsert"] == true)
            #expect(upsertBody["update"] == .document(["$set": ["x": 1]]))
        }
    }

    @Test("a duplicate key answer is a distinct typed error")
    func duplicateKey() async throws {
        let reply =
            #"{"error":"E11000 duplicate key error collection: ChargingPoints index: _id_","error_code":"DuplicateKey"}"#
        try await StubHTTPServer.withServer({ _ in .json(reply, status: 409) }) { server in
            let error = #expect(throws: DataAPIError.self) {
                try client(server).insertOne("ChargingPoints", document: ["_id": "cp-1"])
            }
            #expect(error?.code == .duplicateKey)
            #expect(error?.message.contains("E11000") == true)
        }
    }

    @Test("error envelopes map to codes; unknown codes fall back to the status")
    func errorMapping() async throws {
        try await StubHTTPServer.withServer({ request in
            request.path.hasSuffix("findOne")
                ? .json(#"{"error":"no key","error_code":"Unauthorized"}"#, status: 401)
                : .json(#"{"error":"odd"}"#, status: 400)
        }) { server in
            let c = client(server)
            #expect(throws: DataAPIError(.unauthorized, "no key")) { try c.findOne("C", filter: [:]) }
            #expect(throws: DataAPIError(.invalidParameter, "odd")) { try c.deleteOne("C", filter: [:]) }
        }
    }

    @Test("reads are retried after a 5xx, writes are not")
    func retries() async throws {
        let calls = Mutex(0)
        try await StubHTTPServer.withServer({ request in
            let n = calls.withLock { c in
                c += 1
                return c
            }
            if request.path.hasSuffix("find") && n >= 3 { return .json(#"{"documents":[]}"#) }
            return .json(#"{"error":"down","error_code":"ServiceUnavailable"}"#, status: 503)
        }) { server in
            let c = client(server, retries: 2)
            let found = try c.find("C", filter: [:])
            #expect(found == [])
            #expect(server.requests.count == 3)
            server.clearRequests()
            let error = #expect(throws: DataAPIError.self) { try c.insertOne("C", document: [:]) }
            #expect(error?.code == .backendUnavailable)
            #expect(server.requests.count == 1)
        }
    }

    @Test("a read attempt that used half its timeout or more is not retried: a stalled store costs one timeout")
    func slowAttemptNotRetried() async throws {
        try await StubHTTPServer.withServer({ _ in
            usleep(700_000)  // longer than half the 1 s timeout below, shorter than the timeout
            return .json(#"{"error":"busy","error_code":"ServiceUnavailable"}"#, status: 503)
        }) { server in
            let c = DataAPIClient(
                configuration: DataAPIConfiguration(
                    baseURL: server.baseURL + "/data-api/", apiKey: "k", timeout: .seconds(1), readRetries: 2),
                transport: CurlHTTPClient(), logger: Self.logger)
            let error = #expect(throws: DataAPIError.self) { try c.find("C", filter: [:]) }
            #expect(error?.code == .backendUnavailable || error?.code == .transport)
            #expect(server.requests.count == 1)
        }
    }

    @Test("a body that is not JSON is an unexpected response, not a crash")
    func garbage() async throws {
        try await StubHTTPServer.withServer({ _ in .text("<html>proxy error</html>", status: 200) }) { server in
            let error = #expect(throws: DataAPIError.self) { try client(server, retries: 0).findOne("C", filter: [:]) }
            #expect(error?.code == .unexpectedResponse)
            #expect((error?.underlying as? DataAPIError)?.code == .invalidParameter)
        }
    }

    @Test("connection refused is a transport error after the read retries")
    func refused() throws {
        let c = DataAPIClient(
            configuration: DataAPIConfiguration(
                baseURL: "http://127.0.0.1:1", apiKey: "k", timeout: .seconds(2), readRetries: 1),
            transport: CurlHTTPClient(), logger: Self.logger)
        let error = #expect(throws: DataAPIError.self) { try c.findOne("C", filter: [:]) }
        #expect(error?.code == .transport)
        #expect((error?.underlying as? FunctionRuntimeError)?.code == .transport)
    }

    @Test("configuration from the environment names what is missing or wrong")
    func configuration() throws {
        #expect(throws: FunctionRuntimeError(.invalidEnvironment, "missing required environment variable DATA_API_URL"))
        {
            try DataAPIConfiguration.fromEnvironment(FunctionEnvironment(["DATA_API_KEY": "k"]))
        }
        #expect(throws: FunctionRuntimeError.self) {
            try DataAPIConfiguration.fromEnvironment(
                FunctionEnvironment(["DATA_API_URL": "ftp://x", "DATA_API_KEY": "k"]))
        }
        let config = try DataAPIConfiguration.fromEnvironment(
            FunctionEnvironment([
                "DATA_API_URL": "http://h/data-api/", "DATA_API_KEY": "k", "DATA_API_TIMEOUT_MS": "250",
                "DATA_API_DATABASE": "Other",
            ]))
        #expect(config.baseURL == "http://h/data-api")
        #expect(config.timeout == .milliseconds(250))
        #expect(config.database == "Other")
    }
}
