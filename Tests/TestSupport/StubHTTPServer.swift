import Foundation
import Hummingbird
import Logging
import Synchronization

/// One request received by a ``StubHTTPServer``.
public struct RecordedRequest: Sendable, CustomStringConvertible {
    /// The method, e.g. `POST`.
    public let method: String
    /// The path without the query, percent-encoding kept, e.g. `/topics/session%2Fupdates`.
    public let path: String
    /// The raw query string without `?` (empty when there is none).
    public let query: String
    /// Header fields in the order received, names as sent.
    public let headers: [(name: String, value: String)]
    /// The body bytes.
    public let body: [UInt8]
    /// The client's port: requests with the same value came over the same (kept-alive) connection.
    public let clientPort: Int?

    public init(
        method: String, path: String, query: String, headers: [(name: String, value: String)], body: [UInt8],
        clientPort: Int? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.clientPort = clientPort
    }

    /// The first value of a header by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object (nil when it is not one).
    public var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// The decoded value of a query parameter.
    public func queryItem(_ name: String) -> String? {
        URLComponents(string: "/?" + query)?.queryItems?.first { $0.name == name }?.value
    }

    public var description: String { "\(method) \(path)\(query.isEmpty ? "" : "?" + query)" }
}

/// What a ``StubHTTPServer`` answers.
public struct StubResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer (`content-type: application/json`).
    public static func json(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> StubResponse {
        StubResponse(status: status, headers: [("content-type", "application/json")] + headers, body: Array(text.utf8))
    }

    /// A plain-text answer.
    public static func text(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> StubResponse {
        StubResponse(status: status, headers: [("content-type", "text/plain")] + headers, body: Array(text.utf8))
    }
}

/// An in-process HTTP server on `127.0.0.1` and an ephemeral port that records every request and
/// answers through a closure. Used to fake the Lambda Runtime API, the Data API and the IoT publish route.
///
/// ```swift
/// try await StubHTTPServer.withServer({ request in .json(#"{"ok":true}"#) }) { server in
///     // talk to server.baseURL, then inspect server.requests
/// }
/// ```
///
/// The server's tasks run on a thread of their own (``ThreadTaskExecutor``), so it keeps answering while
/// the code under test blocks cooperative threads with synchronous libcurl calls.
public final class StubHTTPServer: Sendable {
    /// Answers one request.
    public typealias Handler = @Sendable (RecordedRequest) async throws -> StubResponse

    /// The bound port.
    public let port: Int
    private let state: SharedState

    fileprivate init(port: Int, state: SharedState) {
        self.port = port
        self.state = state
    }

    /// `http://127.0.0.1:<port>` (no trailing slash).
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// `127.0.0.1:<port>`, the form `AWS_LAMBDA_RUNTIME_API` takes.
    public var hostAndPort: String { "127.0.0.1:\(port)" }

    /// Every request received so far, in arrival order.
    public var requests: [RecordedRequest] { state.requests.withLock { $0 } }

    /// Forgets the recorded requests.
    public func clearRequests() { state.requests.withLock { $0.removeAll() } }

    /// Starts a server, runs `body` with it and stops the server again (also when `body` throws).
    public static func withServer<T: Sendable>(
        _ handler: @escaping Handler, _ body: (StubHTTPServer) async throws -> T
    ) async throws -> T {
        let executor = ThreadTaskExecutor(name: "StubHTTPServer")
        defer { executor.shutdown() }
        let state = SharedState()
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let responder = CallbackResponder<StubRequestContext> { request, context in
            let bytes = try await request.body.collect(upTo: .max)
            let recordedRequest = RecordedRequest(
                method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                headers: request.headers.map { (name: $0.name.rawName, value: $0.value) },
                body: Array(bytes.readableBytesView), clientPort: context.clientPort)
            state.requests.withLock { $0.append(recordedRequest) }
            let answer: StubResponse
            do {
                answer = try await handler(recordedRequest)
            } catch {
                answer = .text("stub handler threw: \(error)", status: 500)
            }
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let fieldName = HTTPFields.Element.Name(name) { fields.append(.init(name: fieldName, value: value)) }
            }
            return Response(
                status: .init(code: answer.status), headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        var logger = Logger(label: "StubHTTPServer")
        logger.logLevel = .critical  // cancellation at the end of withServer logs an error otherwise
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)

        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask(executorPreference: executor) {
                do {
                    try await app.run()
                } catch {
                    portContinuation.finish()
                    throw error
                }
            }
            var iterator = portStream.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                group.cancelAll()
                try await group.waitForAll()
                throw StubServerError(message: "the stub HTTP server did not start")
            }
            let server = StubHTTPServer(port: port, state: state)
            do {
                let result = try await body(server)
                group.cancelAll()
                try? await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}

/// The server could not be started.
public struct StubServerError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

private final class SharedState: Sendable {
    let requests = Mutex<[RecordedRequest]>([])
}

/// The request context of the stub: Hummingbird's basic context plus the client's port.
struct StubRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let clientPort: Int?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientPort = source.channel.remoteAddress?.port
    }
}
