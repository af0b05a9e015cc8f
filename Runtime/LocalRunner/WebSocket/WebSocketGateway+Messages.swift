import Foundation
import FunctionRuntime
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle

extension WebSocketGateway {
    /// Serves an upgraded connection until it closes: each message invokes `$default` in order; then
    /// `$disconnect` once. `run` is the WebSocket handler (it gets the data handler to run).
    func serve(
        _ pending: GatewayConnection.Pending, channel: any Channel,
        run: (@escaping WebSocketDataHandler<GatewayWebSocketContext>) async -> WebSocketCloseFrame?
    ) async {
        let connection = GatewayConnection(
            events: pending.events, chargePointId: pending.chargePointId, channel: channel,
            closeTimeout: settings.closeTimeout)
        let log = logger(for: connection)
        let closeFrame = await run { inbound, outbound, _ in
            connection.attach(outbound)
            self.connections.withLock { $0[connection.id] = connection }
            self.metrics.connections.increment()
            log.info("connected")
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.watch(connection) }
                do {
                    // The runner stopping closes the connection as a server going away (its client may reconnect).
                    try await withGracefulShutdownHandler {
                        try await self.receive(inbound, on: connection, logger: log)
                    } onGracefulShutdown: {
                        Task { await connection.close(.goingAway, reason: "Going away") }
                    }
                } catch {
                    log.debug("connection ended: \(error)")
                }
                group.cancelAll()
            }
        }
        let wasRegistered = connections.withLock { $0.removeValue(forKey: connection.id) != nil }
        guard wasRegistered else { return }
        metrics.connections.decrement()
        let code: Int
        let reason: String
        if let server = connection.serverClose {
            (code, reason) = (Int(UInt16(webSocketErrorCode: server.code)), server.reason)
        } else if let frame = closeFrame {
            (code, reason) = (Int(UInt16(webSocketErrorCode: frame.closeCode)), frame.reason ?? "")
        } else {
            (code, reason) = (1006, "Connection closed abnormally")
        }
        log.info("disconnected", metadata: ["code": "\(code)"])
        guard let route = api.route("$disconnect") else { return }
        _ = await invoke(route.function, connection.events.disconnectEvent(code: code, reason: reason), logger: log)
    }

    func logger(for connection: GatewayConnection) -> Logger {
        var log = logger
        log[metadataKey: "connectionId"] = "\(connection.id)"
        log[metadataKey: "chargePointId"] = "\(connection.chargePointId ?? "-")"
        return log
    }

    /// Reads messages (frames put together) until the client's close frame; a message past the limit closes
    /// the connection with 1009 and is not delivered.
    func receive(_ inbound: WebSocketInboundStream, on connection: GatewayConnection, logger: Logger) async throws {
        var iterator = inbound.makeAsyncIterator()
        var message = ByteBuffer()
        var isText = true
        while let frame = try await iterator.next() {
            guard connection.serverClose == nil else { continue }  // closing: wait for the client's close frame
            switch frame.opcode {
            case .text, .binary:
                message = frame.data
                isText = frame.opcode == .text
            case .continuation:
                var data = frame.data
                message.writeBuffer(&data)
            }
            if message.readableBytes > settings.maximumMessageBytes {
                logger.info("message over \(settings.maximumMessageBytes) bytes: closing with 1009")
                message = ByteBuffer()
                await connection.close(.messageTooLarge, reason: "Message too big")
                continue
            }
            guard frame.fin else { continue }
            connection.touch()
            metrics.messagesIn.increment()
            await deliver(message, isText: isText, on: connection, logger: logger)
        }
    }

    /// One message to `$default`; a two-way route's non-empty answer goes back as one text message.
    func deliver(_ message: ByteBuffer, isText: Bool, on connection: GatewayConnection, logger: Logger) async {
        guard let route = api.route("$default") else { return }
        let event = connection.events.messageEvent(
            routeKey: "$default", text: isText ? String(buffer: message) : nil,
            binary: isText ? nil : Array(buffer: message))
        let response = await invoke(route.function, event, logger: logger)
        guard route.returnsResponse else { return }
        let answer: String?
        if let response {
            answer = response.body
        } else {
            // API Gateway's answer on a two-way route whose integration failed.
            answer =
                #"{"connectionId":"\#(connection.id)","message":"Internal server error","requestId":"\#(event.requestContext.requestId)"}"#
        }
        guard let answer, !answer.isEmpty else { return }
        if await connection.send(answer) { metrics.messagesOut.increment() }
    }

    /// Closes the connection when it has been idle for ``WebSocketGatewaySettings/idleTimeout`` or open for
    /// ``WebSocketGatewaySettings/maximumLifetime`` (1001 Going away, as API Gateway does).
    func watch(_ connection: GatewayConnection) async {
        while !Task.isCancelled {
            let idleDeadline = connection.lastActive + settings.idleTimeout
            let lifetimeDeadline = connection.opened + settings.maximumLifetime
            let now = ContinuousClock.now
            if now >= lifetimeDeadline || now >= idleDeadline {
                logger(for: connection).info(now >= idleDeadline ? "idle timeout" : "maximum lifetime reached")
                await connection.close(.goingAway, reason: "Going away")
                return
            }
            try? await Task.sleep(until: min(idleDeadline, lifetimeDeadline), clock: .continuous)
        }
    }
}
