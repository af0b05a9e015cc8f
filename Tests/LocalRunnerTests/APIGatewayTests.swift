import Essentials
import Foundation
import FunctionRuntime
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import LocalRunner

/// A Lambda stand-in that answers every invocation with one fixed outcome, recording the payloads.
final class FakeInvoker: FunctionInvoker, @unchecked Sendable {
    let lock = NSLock()
    var payloads: [[UInt8]] = []
    let answer: @Sendable ([UInt8]) -> InvocationOutcome

    init(answer: @escaping @Sendable ([UInt8]) -> InvocationOutcome) { self.answer = answer }

    func invoke(function: String, payload: [UInt8], requestID: String) async -> InvocationOutcome {
        lock.withLock { payloads.append(payload) }
        return answer(payload)
    }
}

@Suite("API Gateway (HTTP API v2) mapping")
struct APIGatewayTests {
    static let template = TemplateModel(functions: [
        FunctionDefinition(
            logicalId: "Sessions",
            routes: [
                RouteDefinition(method: "GET", path: "/api/sessions/{sessionId}"),
                RouteDefinition(method: "GET", path: "/api/sessions/latest"),
                RouteDefinition(method: "POST", path: "/api/upload"),
            ]),
        FunctionDefinition(logicalId: "Files", routes: [RouteDefinition(method: "ANY", path: "/files/{path+}")]),
    ])
    let table = RouteTable(template: template)

    @Test("route matching: literal beats parameter, ANY and greedy paths, unknown is nil")
    func matching() {
        #expect(table.match(method: "GET", path: "/api/sessions/latest")?.route.path == "/api/sessions/latest")
        #expect(table.match(method: "GET", path: "/api/sessions/a%20b")?.pathParameters == ["sessionId": "a b"])
        #expect(table.match(method: "DELETE", path: "/files/x/y.txt")?.pathParameters == ["path": "x/y.txt"])
        #expect(table.match(method: "POST", path: "/api/sessions/1") == nil)
        #expect(table.match(method: "GET", path: "/api/sessions") == nil)
        #expect(table.match(method: "GET", path: "/nope") == nil)
    }

    @Test("request → event: path parameters, query, cookies, multi-value headers, text body")
    func eventMapping() throws {
        let match = try #require(table.match(method: "GET", path: "/api/sessions/s%2F1"))
        let event = APIGateway.event(
            method: "GET", rawPath: "/api/sessions/s%2F1", rawQuery: "a=1&a=2&b=x+y&c=%C3%A9&flag",
            headers: [
                ("Accept", "application/json"), ("X-Multi", "1"), ("x-multi", "2"), ("Cookie", "k1=v1; k2=v2"),
                ("Content-Type", "application/json"),
            ],
            body: Array(#"{"a":1}"#.utf8), match: match, requestID: "req-1")
        #expect(event.version == "2.0")
        #expect(event.routeKey == "GET /api/sessions/{sessionId}")
        #expect(event.rawPath == "/api/sessions/s%2F1")
        #expect(event.pathParameters == ["sessionId": "s/1"])
        #expect(event.rawQueryString == "a=1&a=2&b=x+y&c=%C3%A9&flag")
        #expect(event.queryStringParameters == ["a": "1,2", "b": "x y", "c": "é", "flag": ""])
        #expect(event.headers["x-multi"] == "1,2")
        #expect(event.headers["cookie"] == nil)
        #expect(event.cookies == ["k1=v1", "k2=v2"])
        #expect(event.body == #"{"a":1}"#)
        #expect(event.isBase64Encoded == false)
        #expect(event.requestContext.requestId == "req-1")
        #expect(event.requestContext.http.method == "GET")
    }

    @Test("binary bodies are base64-encoded in the event")
    func binaryBody() throws {
        let match = try #require(table.match(method: "POST", path: "/api/upload"))
        let bytes: [UInt8] = [0, 159, 146, 150, 255]
        let event = APIGateway.event(
            method: "POST", rawPath: "/api/upload", rawQuery: "",
            headers: [("content-type", "application/octet-stream")],
            body: bytes, match: match, requestID: "r")
        #expect(event.isBase64Encoded)
        #expect(event.bodyBytes == bytes)
        let none = APIGateway.event(
            method: "POST", rawPath: "/api/upload", rawQuery: "", headers: [], body: [], match: match, requestID: "r")
        #expect(none.body == nil)
    }

    @Test("function output → HTTP: status, headers, one Set-Cookie per cookie, base64 body decoded")
    func responseMapping() throws {
        let answer = APIGatewayV2Response(
            statusCode: 201, headers: ["content-type": "application/octet-stream", "x-a": "1"],
            body: Data([1, 2, 3]).base64EncodedString(), isBase64Encoded: true, cookies: ["a=1", "b=2; Path=/"])
        let response = APIGateway.httpResponse(answer)
        #expect(response.status.code == 201)
        #expect(response.headers[values: .setCookie] == ["a=1", "b=2; Path=/"])
        #expect(response.headers[.contentType] == "application/octet-stream")
        // Format 2.0 inference: output without statusCode is a 200 JSON body.
        let inferred = APIGateway.functionResult(Array(#"{"hello":"world"}"#.utf8))
        #expect(inferred.statusCode == 200)
        #expect(inferred.body == #"{"hello":"world"}"#)
        // Such a body goes out as the function wrote it, byte for byte (escapes and non-ASCII included).
        let written = Array(#"{"a":"caf\u00e9 é \"q\"","n":[1.5,-2e3,null]}"#.utf8)
        let passed = APIGateway.functionResult(written)
        #expect(passed.statusCode == 200 && passed.jsonBodyBytes == written)
        let http = APIGateway.httpResponse(passed)
        #expect(http.headers[.contentType] == "application/json")
        #expect(APIGateway.functionResult(Array("not json".utf8)).statusCode == 502)
    }

    @Test(
        "outcomes other than success become envelopes with API Gateway's status",
        arguments: [
            (InvocationOutcome.timeout(seconds: 1), 504, "GatewayTimeout"),
            (InvocationOutcome.crashed("killed by signal 9"), 502, "BadGateway"),
            (InvocationOutcome.initFailed("missing X"), 502, "BadGateway"),
            (InvocationOutcome.functionError(Array("{}".utf8)), 500, "InternalServerError"),
            (InvocationOutcome.unavailable("no binary"), 503, "ServiceUnavailable"),
        ])
    func failures(outcome: InvocationOutcome, status: Int, name: String) throws {
        let response = APIGateway.response(for: outcome, function: "F", requestID: "r")
        #expect(response.statusCode == status)
        let envelope = try JSONDecoder().decode(ErrorEnvelope.self, from: Data(response.body.utf8))
        #expect(envelope.error == name)
        #expect(Timestamp.parse(envelope.timestamp) != nil)
    }

    func router(_ invoker: FakeInvoker) -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(ErrorEnvelopeMiddleware(metrics: RunnerMetrics()))
        router.get("/healthz") { _, _ in "ok" }
        APIGateway(routes: table, invoker: invoker, metrics: RunnerMetrics(), logger: Logger(label: "test"))
            .addRoutes(to: router)
        return router
    }

    @Test("through HTTP: the event reaches the function and its answer comes back; unknown route 404, >1 MiB 413")
    func throughHTTP() async throws {
        let invoker = FakeInvoker { payload in
            .success(Array(#"{"statusCode":200,"headers":{"x-seen":"yes"},"body":"done","cookies":["c=1"]}"#.utf8))
        }
        let app = Application(router: router(invoker))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/sessions/abc?x=1", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "done")
                #expect(response.headers[values: .setCookie] == ["c=1"])
            }
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                let envelope = try JSONDecoder().decode(ErrorEnvelope.self, from: Data(buffer: response.body))
                #expect(envelope.error == "NotFound")
            }
            let big = ByteBuffer(repeating: 65, count: APIGateway.maximumBodySize + 1)
            try await client.execute(uri: "/api/upload", method: .post, body: big) { response in
                #expect(response.status == .contentTooLarge)
                let envelope = try JSONDecoder().decode(ErrorEnvelope.self, from: Data(buffer: response.body))
                #expect(envelope.error == "PayloadTooLarge")
            }
        }
        let payloads = invoker.lock.withLock { invoker.payloads }
        #expect(payloads.count == 1)
        let event = try JSONDecoder().decode(APIGatewayV2Request.self, from: Data(payloads[0]))
        #expect(event.pathParameters == ["sessionId": "abc"])
        #expect(event.queryStringParameters == ["x": "1"])
    }
}
