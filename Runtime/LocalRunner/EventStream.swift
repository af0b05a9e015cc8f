import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// `GET /events`: Server-Sent Events relaying `session/updates`, `charging/updates` and `chargepoint/status`
/// (OCPP chargers' connection and connector status), with keep-alive
/// comments; streams end cleanly when the client goes away or the runner shuts down.
///
/// With the JWT authorizer on, a stream needs `Authorization: Bearer <token>` (401 otherwise, as the REST
/// routes answer) and carries what its caller may see: `session/updates` (no owner fields) to everyone signed
/// in, `chargepoint/status` to everyone signed in, `charging/updates` (user and vehicle ids) to operators only.
public final class EventStream: Sendable {
    /// The topics relayed to browsers.
    public static let topics = ["session/updates", "charging/updates", "chargepoint/status"]
    /// The topics only operators receive.
    public static let operatorTopics: Set<String> = ["charging/updates"]

    struct Subscriber {
        var continuation: AsyncStream<String>.Continuation
        /// Receives ``operatorTopics`` too.
        var isOperator: Bool
    }

    struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var closed = false
    }

    let state = Mutex(State())
    let keepAlive: Duration
    let keepAliveTask = Mutex<Task<Void, Never>?>(nil)
    /// Checks the bearer token of each stream; nil (or disabled) lets anyone see everything (`--auth none`).
    let authorizer: JWTAuthorizer?

    public init(keepAlive: Duration = .seconds(15), authorizer: JWTAuthorizer? = nil) {
        self.keepAlive = keepAlive
        self.authorizer = authorizer?.isEnabled == true ? authorizer : nil
    }

    /// Relays a message if its topic is one of ``topics``, to the subscribers who may see it.
    public func accept(_ message: MQTTMessage) {
        guard Self.topics.contains(message.topic) else { return }
        broadcast(
            Self.frame(topic: message.topic, payload: message.payload),
            operatorsOnly: Self.operatorTopics.contains(message.topic))
    }

    /// One SSE frame: `event: <topic>` and the payload as `data:` lines.
    static func frame(topic: String, payload: [UInt8]) -> String {
        let text = String(decoding: payload, as: UTF8.self)
        let data = text.split(separator: "\n", omittingEmptySubsequences: false).map { "data: \($0)" }
        return "event: \(topic)\n" + data.joined(separator: "\n") + "\n\n"
    }

    func broadcast(_ frame: String, operatorsOnly: Bool = false) {
        let subscribers = state.withLock { s in
            s.subscribers.values.filter { !operatorsOnly || $0.isOperator }.map(\.continuation)
        }
        for subscriber in subscribers { subscriber.yield(frame) }
    }

    func subscribe(isOperator: Bool = true) -> AsyncStream<String>? {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1000))
        let id = state.withLock { s -> Int? in
            guard !s.closed else { return nil }
            s.nextID += 1
            s.subscribers[s.nextID] = Subscriber(continuation: continuation, isOperator: isOperator)
            return s.nextID
        }
        guard let id else { return nil }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        startKeepAlive()
        return stream
    }

    func startKeepAlive() {
        keepAliveTask.withLock { task in
            guard task == nil else { return }
            task = Task { [weak self, keepAlive] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: keepAlive)
                    self?.broadcast(": keep-alive\n\n")
                }
            }
        }
    }

    /// Ends every stream (runner shutdown).
    public func close() {
        let subscribers = state.withLock { s -> [AsyncStream<String>.Continuation] in
            s.closed = true
            defer { s.subscribers = [:] }
            return s.subscribers.values.map(\.continuation)
        }
        for subscriber in subscribers { subscriber.finish() }
        keepAliveTask.withLock {
            $0?.cancel()
            $0 = nil
        }
    }

    /// Adds `GET /events` to the router.
    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/events") { request, _ -> Response in
            var isOperator = true
            if let authorizer = self.authorizer {
                switch await authorizer.authorize(request.headers[.authorization], requestID: RequestID.next()) {
                case .success(let token): isOperator = token.isOperator
                case .failure(let denial): return APIGateway.httpResponse(APIGateway.unauthorized(denial))
                }
            }
            guard let stream = self.subscribe(isOperator: isOperator) else {
                throw HTTPError(.serviceUnavailable, message: "shutting down")
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            headers[HTTPHeaderField.Name("X-Accel-Buffering")!] = "no"
            let body = ResponseBody { writer in
                try await writer.write(ByteBuffer(string: ": connected\nretry: 2000\n\n"))
                try await withGracefulShutdownHandler {
                    for await frame in stream {
                        try await writer.write(ByteBuffer(string: frame))
                    }
                } onGracefulShutdown: {
                    self.close()
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        }
    }
}
