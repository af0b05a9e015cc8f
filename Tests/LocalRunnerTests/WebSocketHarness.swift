import Foundation
import FunctionRuntime
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import Synchronization
import TestSupport
import Testing

@testable import LocalRunner

/// Lambda as the WebSocket API sees it, in a test: records every event and answers through `answer`.
final class WebSocketFakeInvoker: FunctionInvoker, Sendable {
    let recorded = Mutex<[APIGatewayWebSocketRequest]>([])
    let answer: @Sendable (APIGatewayWebSocketRequest) async -> InvocationOutcome

    init(answer: @escaping @Sendable (APIGatewayWebSocketRequest) async -> InvocationOutcome = { _ in reply() }) {
        self.answer = answer
    }

    func invoke(function: String, payload: [UInt8], requestID: String) async -> InvocationOutcome {
        guard let event = try? JSONDecoder().decode(APIGatewayWebSocketRequest.self, from: Data(payload)) else {
            return .functionError(Array(#"{"errorMessage":"not a WebSocket event"}"#.utf8))
        }
        recorded.withLock { $0.append(event) }
        return await answer(event)
    }

    /// The events of `route` so far.
    func events(_ route: String) -> [APIGatewayWebSocketRequest] {
        recorded.withLock { $0.filter { $0.requestContext.routeKey == route } }
    }

    /// Waits (up to 20 s) until `count` events of `route` have arrived, and returns them.
    func await(_ route: String, count: Int = 1) async throws -> [APIGatewayWebSocketRequest] {
        let deadline = ContinuousClock.now + .seconds(20)
        while events(route).count < count {
            guard ContinuousClock.now < deadline else {
                throw HarnessError("\(route): \(events(route).count) of \(count) events after 20 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return events(route)
    }
}

/// A function's WebSocket answer as the worker would report it.
func reply(_ status: Int = 200, headers: [String: String]? = nil, body: String? = nil) -> InvocationOutcome {
    let response = APIGatewayWebSocketResponse(statusCode: status, headers: headers, body: body)
    return .success(Array((try? JSONEncoder().encode(response)) ?? Data()))
}

/// The runner's HTTP server with the WebSocket API (`OcppApi`, stage `ocpp`) on an ephemeral port, in process.
enum WebSocketHarness {
    static let api = WebSocketAPIDefinition(
        logicalId: "OcppApi", stage: "ocpp",
        routes: [
            WebSocketRouteDefinition(routeKey: "$connect", function: "OcppConnect"),
            WebSocketRouteDefinition(routeKey: "$disconnect", function: "OcppDisconnect"),
            WebSocketRouteDefinition(routeKey: "$default", function: "OcppMessage", returnsResponse: true),
        ])
    static let credentials = WorkerCredentials.generate()

    static func withServer(
        invoker: WebSocketFakeInvoker, settings: WebSocketGatewaySettings = WebSocketGatewaySettings(),
        _ body: @escaping @Sendable (_ port: Int, _ gateway: WebSocketGateway) async throws -> Void
    ) async throws {
        let metrics = RunnerMetrics()
        let template = TemplateModel(
            functions: ["OcppConnect", "OcppDisconnect", "OcppMessage"].map { FunctionDefinition(logicalId: $0) },
            webSocketAPIs: [api])
        let gateway = WebSocketGateway(api: api, invoker: invoker, settings: settings, metrics: metrics)
        var configuration = RunnerConfiguration()
        configuration.webDirectory = "/nonexistent"
        configuration.swaggerUIDirectory = "/nonexistent"
        let services = RouterServices(
            template: template, invoker: invoker, metrics: metrics, events: EventStream(), publisher: AsyncValue(),
            dataAPI: DataAPIUpstream(), brokerConnected: { true }, webSocket: gateway,
            connectionsVerifier: WebSocketManagementRoutes.verifier(credentials: credentials, region: "us-east-1"))
        let router = buildRouter(configuration: configuration, services: services)
        let app = Application(
            responder: router.buildResponder(), server: WebSocketGatewayChannel.builder(gateway),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body(try #require(client.port), gateway)
        }
    }

    /// Runs a blocking call (libcurl, a raw socket) on a thread of its own, so that parallel tests cannot take
    /// every thread of the cooperative pool the in-process server needs.
    static func blocking<T: Sendable>(_ call: @escaping @Sendable () throws -> T) async throws -> T {
        let executor = ThreadTaskExecutor(name: "ws-test-blocking")
        defer { executor.shutdown() }
        return try await withTaskExecutorPreference(executor) { try call() }
    }

    /// A plain GET on the server, through libcurl.
    static func get(port: Int, _ path: String) async throws -> HTTPClientResponse {
        try await blocking {
            try CurlHTTPClient().send(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(port)\(path)"))
        }
    }

    /// A management API request signed by libcurl (service `execute-api`), as functions send it.
    static func management(
        _ method: String, port: Int, _ connectionId: String, body: String = "", signed: Bool = true,
        with signer: WorkerCredentials = credentials
    ) async throws -> HTTPClientResponse {
        let request = HTTPClientRequest(
            method: method, url: "http://127.0.0.1:\(port)/@connections/\(connectionId)",
            headers: [("Content-Type", "application/json")], body: Array(body.utf8),
            awsSigV4: signed ? "aws:amz:us-east-1:execute-api" : nil,
            awsCredentials: signed ? (signer.accessKeyId, signer.secretAccessKey, nil) : nil)
        return try await blocking { try CurlHTTPClient().send(request) }
    }

    /// Connects a WebSocket client to `/ocpp/<identity>` and runs `handler` on it; returns the server's close frame.
    @discardableResult
    static func connect(
        port: Int, path: String = "/ocpp/cp-1",
        handler: @escaping WebSocketDataHandler<WebSocketClient.Context>
    ) async throws -> WebSocketCloseFrame? {
        var configuration = WebSocketClientConfiguration()
        configuration.additionalHeaders = [.secWebSocketProtocol: "ocpp1.6", .authorization: "Basic Y3AtMTpzZWNyZXQ="]
        configuration.maxFrameSize = 1 << 20
        configuration.autoPing = .disabled
        return try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(port)\(path)", configuration: configuration, logger: Logger(label: "ws-test"),
            handler: handler)
    }

    /// Sends a raw upgrade request and returns the status code and the response headers (lower-cased names).
    static func handshake(
        port: Int, path: String, headers: [(String, String)] = []
    ) async throws -> (Int, [String: String]) {
        try await blocking { try rawHandshake(port: port, path: path, headers: headers) }
    }

    static func rawHandshake(port: Int, path: String, headers: [(String, String)]) throws -> (Int, [String: String]) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw HarnessError("connect() failed") }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        request += headers.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains("\r\n\r\n") {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { throw HarnessError("no complete response head") }
            received += buffer[0..<count]
        }
        let head = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        let lines = head.components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, fields)
    }
}
