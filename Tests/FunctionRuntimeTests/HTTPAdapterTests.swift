import Essentials
import Foundation
import FunctionRuntime
import Logging
import Synchronization
import TestSupport
import Testing

/// Answers by route: `/ok` 200, `/missing` a 404 domain error, `/crash` an internal error with secrets in it.
struct RoutedFunction: HTTPFunction {
    struct Secret: Error, CustomStringConvertible {
        var description: String { "connection to mongodb://admin:hunter2@db failed" }
    }

    enum NotFound: HTTPErrorConvertible {
        case session(String)
        var httpStatus: Int { 404 }
        var errorName: String { "NotFound" }
        var publicMessage: String {
            switch self {
            case .session(let id): return "session \(id) not found"
            }
        }
    }

    func handle(_ event: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        switch event.rawPath {
        case "/ok": return try .json(["path": event.rawPath])
        case "/missing": throw NotFound.session(event.query("id") ?? "?")
        default: throw Secret()
        }
    }
}

func request(_ path: String, query: [String: String]? = nil) -> APIGatewayV2Request {
    APIGatewayV2Request(
        routeKey: "GET \(path)", rawPath: path, queryStringParameters: query,
        requestContext: .init(http: .init(method: "GET", path: path), requestId: "apigw-1"))
}

@Suite("HTTP adapter and command line")
struct HTTPAdapterTests {
    let now = Date()

    @Test func domainErrorBecomesItsStatusWithEnvelope() async throws {
        let adapter = HTTPFunctionAdapter(RoutedFunction())
        let response = await adapter.respond(
            to: request("/missing", query: ["id": "s-9"]), context: .local(requestID: "r-404"))
        #expect(response.statusCode == 404)
        #expect(response.headers["content-type"] == "application/json")
        let body = try #require(jsonObject(Array(response.body.utf8)))
        #expect(body["error"] as? String == "NotFound")
        #expect(body["message"] as? String == "session s-9 not found")
        #expect(Timestamp.parse(body["timestamp"] as? String ?? "") != nil)
        #expect(body.count == 3)
    }

    @Test func unexpectedErrorBecomes500WithoutInternals() async throws {
        let capture = LogCapture()
        let adapter = HTTPFunctionAdapter(RoutedFunction())
        let output = try await adapter.invoke(
            try JSONCoding.encoder.encode(request("/crash")).map { $0 },
            context: .local(requestID: "req-500", logger: capture.logger()))
        #expect(output.isServerError)
        let response = try JSONDecoder().decode(APIGatewayV2Response.self, from: Data(output.body))
        #expect(response.statusCode == 500)
        let body = try #require(jsonObject(Array(response.body.utf8)))
        #expect(body["error"] as? String == "InternalServerError")
        #expect(body["message"] as? String == "Internal server error (request req-500)")
        #expect(!response.body.contains("hunter2"))
        // The real error is in the log, with the request id.
        #expect(capture.text.contains("[req-500]"))
        #expect(capture.text.contains("hunter2"))
    }

    @Test func successPassesThrough() async throws {
        let output = try await makeInvocationAdapter(for: RoutedFunction())
            .invoke(try JSONCoding.encoder.encode(request("/ok")).map { $0 }, context: .local())
        #expect(!output.isServerError)
        let response = try JSONDecoder().decode(APIGatewayV2Response.self, from: Data(output.body))
        #expect(response.statusCode == 200)
        #expect(response.body == #"{"path":"/ok"}"#)
    }

    @Test func httpFunctionsInTheLoopAlwaysRespond() async throws {
        let event = String(decoding: try JSONCoding.encoder.encode(request("/crash")), as: UTF8.self)
        let api = FakeRuntimeAPI([.init(requestID: "loop-1", body: event)])
        try await StubHTTPServer.withServer(api.handler) { server in
            let loop = FunctionRuntimeLoop(
                client: RuntimeAPIClient(endpoint: server.hostAndPort), handler: RoutedFunction(),
                logger: Logger(label: "t"))
            try await loop.run(maxInvocations: 1)
            let post = try #require(server.requests.last)
            #expect(post.path == "/2018-06-01/runtime/invocation/loop-1/response")
            #expect(post.jsonObject?["statusCode"] as? Int == 500)
        }
    }

    // MARK: Command line (no AWS_LAMBDA_RUNTIME_API)

    final class Output: Sendable {
        let out = Mutex("")
        let err = Mutex("")
        var stdout: String { out.withLock { $0 } }
        var stderr: String { err.withLock { $0 } }
    }

    func runCLI(
        _ arguments: [String], stdin: String = "", environment: [String: String] = [:]
    ) async -> (Int32, Output) {
        let output = Output()
        let status = await FunctionMain.runReturningStatus(
            arguments: arguments, environment: FunctionEnvironment(environment), name: "GetSession",
            environmentVariables: ["DATA_API_URL", "DATA_API_KEY"], standardInput: { Array(stdin.utf8) },
            standardOutput: { text in output.out.withLock { $0 += text } },
            standardError: { text in output.err.withLock { $0 += text } }
        ) { environment, _ in
            _ = try environment.required("DATA_API_URL")
            return RoutedFunction()
        }
        return (status, output)
    }

    @Test func eventFileInvokesOnceAndPrintsJSON() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("evcsm-h1-\(UUID()).json")
        try JSONCoding.encoder.encode(request("/ok")).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = await runCLI(["--event", file.path], environment: ["DATA_API_URL": "http://x"])
        #expect(status == 0, "\(output.stderr)")
        let printed = try #require(jsonObject(Array(output.stdout.utf8)))
        #expect(printed["statusCode"] as? Int == 200)
        #expect(output.stdout.hasSuffix("}\n"))
    }

    @Test func eventFromStdinAndExitStatuses() async throws {
        let ok = String(decoding: try JSONCoding.encoder.encode(request("/missing")), as: UTF8.self)
        let (status404, output404) = await runCLI(["--event", "-"], stdin: ok, environment: ["DATA_API_URL": "x"])
        #expect(status404 == 0)
        #expect(jsonObject(Array(output404.stdout.utf8))?["statusCode"] as? Int == 404)

        let crash = String(decoding: try JSONCoding.encoder.encode(request("/crash")), as: UTF8.self)
        let (status500, output500) = await runCLI(["--event=-"], stdin: crash, environment: ["DATA_API_URL": "x"])
        #expect(status500 == 1)
        #expect(jsonObject(Array(output500.stdout.utf8))?["statusCode"] as? Int == 500)

        let (statusBad, outputBad) = await runCLI(
            ["--event", "-"], stdin: "not json", environment: ["DATA_API_URL": "x"])
        #expect(statusBad == 1)
        #expect(outputBad.stderr.contains("invocation failed"))
        #expect(outputBad.stdout.isEmpty)
    }

    @Test func initFailureAndMissingFileExit1() async throws {
        let (status, output) = await runCLI(["--event", "-"], stdin: "{}")
        #expect(status == 1)
        #expect(output.stderr.contains("DATA_API_URL"))
        let (missing, missingOutput) = await runCLI(
            ["--event", "/nonexistent/evcsm.json"], environment: ["DATA_API_URL": "x"])
        #expect(missing == 1)
        #expect(missingOutput.stderr.contains("/nonexistent/evcsm.json"))
    }

    @Test func helpAndUsage() async {
        let (help, helpOutput) = await runCLI(["--help"])
        #expect(help == 0)
        #expect(helpOutput.stdout.contains("usage: GetSession --event FILE|-"))
        #expect(helpOutput.stdout.contains("AWS_LAMBDA_RUNTIME_API"))
        #expect(helpOutput.stdout.contains("DATA_API_URL, DATA_API_KEY"))
        #expect(helpOutput.stderr.isEmpty)
        for arguments in [[], ["--bogus"], ["--event"], ["--event", "a", "b"]] {
            let (status, output) = await runCLI(arguments)
            #expect(status == 2, "\(arguments)")
            #expect(output.stderr.contains("usage:"))
            #expect(output.stdout.isEmpty)
        }
    }

    @Test func jsonLogLines() throws {
        let capture = LogCapture()
        var logger = capture.logger(label: "evcsm.GetStatus", format: .json)
        logger[metadataKey: "requestID"] = "r-7"
        logger.warning("odd \"quote\"\nline", metadata: ["topic": "charging/updates"])
        let line = capture.text
        #expect(line.hasSuffix("\n"))
        let object = try #require(jsonObject(Array(line.utf8)))
        #expect(object["level"] as? String == "WARN")
        #expect(object["message"] as? String == "odd \"quote\"\nline")
        #expect(object["requestId"] as? String == "r-7")
        #expect(object["topic"] as? String == "charging/updates")
        #expect(object["logger"] as? String == "evcsm.GetStatus")
        #expect(Timestamp.parse(object["timestamp"] as? String ?? "") != nil)
    }
}
