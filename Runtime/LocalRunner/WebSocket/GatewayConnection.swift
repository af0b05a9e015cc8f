import Essentials
import Foundation
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Synchronization

/// What the WebSocket API emulation holds to API Gateway's limits.
public struct WebSocketGatewaySettings: Sendable, Equatable {
    /// API Gateway's idle timeout: no message either way for this long closes the connection (1001).
    public var idleTimeout: Duration = .seconds(600)
    /// API Gateway's maximum connection duration.
    public var maximumLifetime: Duration = .seconds(7200)
    /// API Gateway's largest message (128 KiB); a larger one closes the connection (1009) without an invocation.
    public var maximumMessageBytes = 128 * 1024
    /// How long a server-initiated close waits for the client's close frame before dropping the connection.
    public var closeTimeout: Duration = .seconds(5)

    public init() {}

    /// The environment variable that shortens the idle timeout (seconds; tests and benchmarks). Nothing else
    /// can be changed: the other limits are API Gateway's.
    public static let idleTimeoutVariable = "EVCSM_WEBSOCKET_IDLE_TIMEOUT_SECONDS"

    /// The defaults, with ``idleTimeoutVariable`` applied when it holds a positive integer.
    public static func from(environment: [String: String]) -> WebSocketGatewaySettings {
        var settings = WebSocketGatewaySettings()
        if let text = environment[idleTimeoutVariable], let seconds = Int(text), seconds > 0 {
            settings.idleTimeout = .seconds(seconds)
        }
        return settings
    }
}

/// One open WebSocket connection: its events' shared context, the writer to its client, and how it ends.
final class GatewayConnection: Sendable {
    struct State {
        var outbound: WebSocketOutboundWriter?
        var lastActive = ContinuousClock.now
        var lastActiveAt = Timestamp.nowMilliseconds()
        /// Set when the runner closes the connection (idle, lifetime, too large, DELETE): the `$disconnect` code.
        var serverClose: (code: WebSocketErrorCode, reason: String)?
    }

    let events: WebSocketEventContext
    let chargePointId: String?
    let channel: any Channel
    let opened = ContinuousClock.now
    let closeTimeout: Duration
    let state = Mutex(State())

    init(events: WebSocketEventContext, chargePointId: String?, channel: any Channel, closeTimeout: Duration) {
        self.events = events
        self.chargePointId = chargePointId
        self.channel = channel
        self.closeTimeout = closeTimeout
    }

    var id: String { events.connectionId }
    var lastActive: ContinuousClock.Instant { state.withLock { $0.lastActive } }
    var lastActiveAt: Int64 { state.withLock { $0.lastActiveAt } }
    var serverClose: (code: WebSocketErrorCode, reason: String)? { state.withLock { $0.serverClose } }

    func attach(_ outbound: WebSocketOutboundWriter) { state.withLock { $0.outbound = outbound } }

    /// A message went either way: the idle timer starts again.
    func touch() {
        state.withLock {
            $0.lastActive = .now
            $0.lastActiveAt = Timestamp.nowMilliseconds()
        }
    }

    /// Sends one text message; false once the connection is closing or the write failed.
    func send(_ text: String) async -> Bool {
        guard let outbound = state.withLock({ $0.serverClose == nil ? $0.outbound : nil }) else { return false }
        do {
            try await outbound.write(.text(text))
        } catch {
            return false
        }
        touch()
        return true
    }

    /// Closes from the server side (once): sends the close frame, and drops the connection if the client has not
    /// answered within ``closeTimeout``.
    func close(_ code: WebSocketErrorCode, reason: String) async {
        let outbound = state.withLock { s -> WebSocketOutboundWriter? in
            guard s.serverClose == nil else { return nil }
            s.serverClose = (code, reason)
            return s.outbound
        }
        guard let outbound else { return }
        try? await outbound.close(code, reason: reason)
        let channel = self.channel
        let milliseconds =
            closeTimeout.components.seconds * 1000 + closeTimeout.components.attoseconds / 1_000_000_000_000_000
        channel.eventLoop.scheduleTask(in: .milliseconds(milliseconds)) { channel.close(promise: nil) }
    }
}
