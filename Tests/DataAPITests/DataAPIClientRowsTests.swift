import BSON
import DataAPI
import FunctionRuntime
import Logging
import TestSupport
import Testing

/// `find(…, fields:)` gives the rows of `find` (the plain reply read in one pass, any other through the documents)
/// and the same errors.
@Suite("Data API client rows")
struct DataAPIClientRowsTests {
    static let fields = ExtendedJSONFields(["_id", "n"])

    func client(_ server: StubHTTPServer) -> DataAPIClient {
        DataAPIClient(
            configuration: DataAPIConfiguration(
                baseURL: server.baseURL + "/data-api", apiKey: "k", timeout: .seconds(5), readRetries: 0),
            transport: CurlHTTPClient(), logger: Logger(label: "test.rows"))
    }

    @Test(
        "rows hold the documents' fields, also for replies read the general way",
        arguments: [
            #"{"documents":[{"_id":"a","n":{"$numberLong":"1"},"z":[]},{"n":2.5}]}"#,
            #"{"documents":[{"_id":"a","n":{"$numberLong":"1"},"z":[]},{"n":2.5}],"documents2":1}"#,
            #"{ "documents" : [ { "\u005fid" : "a" , "n" : { "$numberLong" : "1" } } , { "n" : 2.5 } ] }"#,
        ])
    func rows(reply: String) async throws {
        try await StubHTTPServer.withServer({ _ in .json(reply) }) { server in
            let c = client(server)
            let rows = try c.find("C", filter: ["x": 1], sort: ["n": 1], limit: 3, fields: Self.fields)
            let documents = try c.find("C", filter: ["x": 1], sort: ["n": 1], limit: 3)
            #expect(rows.count == documents.count)
            for (row, document) in documents.enumerated() {
                #expect(rows[row, 0] == document["_id"])
                #expect(rows[row, 1] == document["n"])
            }
            let bodies = server.requests.map(\.body)
            #expect(bodies.count == 2 && bodies[0] == bodies[1])
        }
    }

    @Test(
        "a reply the documents path refuses is refused with the same error",
        arguments: [
            (#"{"documents":[{"a":1,"a":2}]}"#, 200), (#"{"documents":{"a":1}}"#, 200), (#"{"documents":[5]}"#, 200),
            (#"{"error":"odd","error_code":"InvalidParameter"}"#, 400), (#"{"documents":[]"#, 200),
        ])
    func errors(reply: String, status: Int) async throws {
        try await StubHTTPServer.withServer({ _ in .json(reply, status: status) }) { server in
            let c = client(server)
            let general = #expect(throws: DataAPIError.self) { try c.find("C", filter: [:]) }
            let rows = #expect(throws: DataAPIError.self) { try c.find("C", filter: [:], fields: Self.fields) }
            #expect(rows?.code == general?.code)
            #expect(rows?.message == general?.message)
        }
    }
}
