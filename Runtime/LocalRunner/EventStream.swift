import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// `GET /events`: Server-Sent Events relaying `session/updates` and `charging/updates`, with keep-alive
/// comments; streams end cleanly when the client goes away or the runner shuts down.
public final class EventStream: Sendable {
    /// The topics relayed to browsers.
    public static let topics = ["session/updates", "charging/updates"]

    struct State {
        var subscribers: [Int: AsyncStream<String>.Continuation] = [:]
        var nextID = 0
        var closed = false
    }

    let state = Mutex(State())
    let keepAlive: Duration
    let keepAliveTask = Mutex<Task<Void, Never>?>(nil)

    public init(keepAlive: Duration = .seconds(15)) {
        self.keepAlive = keepAlive
    }

    /// Relays a message if its topic is one of ``topics``.
    public func accept(_ message: MQTTMessage) {
        guard Self.topics.contains(message.topic) else { return }
        broadcast(Self.frame(topic: message.topic, payload: message.payload))
    }

    /// One SSE frame: `event: <topic>` and the payload as `data:` lines.
    static func frame(topic: String, payload: [UInt8]) -> String {
        let text = String(decoding: payload, as: UTF8.self)
        let data = text.split(separator: "\n", omittingEmptySubsequences: false).map { "data: \($0)" }
        return "event: \(topic)\n" + data.joined(separator: "\n") + "\n\n"
    }

    func broadcast(_ frame: String) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(frame) }
    }

    func subscribe() -> AsyncStream<String>? {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1000))
        let id = state.withLock { s -> Int? in
            guard !s.closed else { return nil }
            s.nextID += 1
            s.subscribers[s.nextID] = continuation
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
            return Array(s.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
        keepAliveTask.withLock {
            $0?.cancel()
            $0 = nil
        }
    }

    /// Adds `GET /events` to the router.
    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/events") { _, _ -> Response in
            guard let stream = self.subscribe() else {
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
