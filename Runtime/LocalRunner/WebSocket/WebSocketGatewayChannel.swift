import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
@_spi(WSInternal) import WSCore

/// The context of the gateway's WebSocket data handler.
struct GatewayWebSocketContext: WebSocketContext {
    let logger: Logger
}

/// The runner's HTTP/1.1 connections, with the WebSocket API's upgrade: a request that asks for a WebSocket
/// upgrade is decided by ``WebSocketGateway/decide(head:sourceIp:)`` (its `$connect`) before the handshake, and a
/// refusal is answered with `$connect`'s own status, headers and body (hummingbird-websocket's channel can only
/// answer 400). Every other request is served by the router as before.
struct WebSocketGatewayChannel: ServerChildChannel, HTTPChannelHandler {
    enum Outcome: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(
            NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, status: Int, headers: [(String, String)], body: [UInt8])
        case webSocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, GatewayConnection.Pending)
    }

    struct Value: ServerChildChannelValue {
        let outcome: EventLoopFuture<Outcome>
        let channel: any Channel
    }

    let gateway: WebSocketGateway
    let responder: HTTPChannelHandler.Responder

    /// The builder `Application(server:)` takes.
    static func builder(_ gateway: WebSocketGateway) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in WebSocketGatewayChannel(gateway: gateway, responder: responder) }
    }

    init(gateway: WebSocketGateway, responder: @escaping HTTPChannelHandler.Responder) {
        self.gateway = gateway
        self.responder = Self.upgradeAfterRequest(responder)
    }

    /// A keep-alive connection cannot upgrade after a first request: such an upgrade is redirected to the same
    /// URI on a new connection (as hummingbird-websocket does).
    static func upgradeAfterRequest(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder
    {
        struct RedirectClose: Error {}
        return { request, writer, channel in
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                return try await responder(request, writer, channel)
            }
            let location = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
            try await writer.writeResponse(
                HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: location]))
            throw RedirectClose()
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let decision = NIOLockedValueBox<UpgradeDecision?>(nil)
            let gateway = self.gateway
            let upgrader = NIOTypedWebSocketServerUpgrader<Outcome>(
                maxFrameSize: 2 * gateway.settings.maximumMessageBytes,
                shouldUpgrade: { channel, head in
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask {
                        let answer = await gateway.decide(head: head, sourceIp: channel.remoteAddress?.ipAddress)
                        decision.withLockedValue { $0 = answer }
                        if case .accept(let headers, _) = answer { return headers }
                        return nil
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard case .accept(_, let pending)? = decision.withLockedValue({ $0 }) else {
                            throw ChannelError.inappropriateOperationForState
                        }
                        let webSocket = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true))
                        return Outcome.webSocket(webSocket, pending)
                    }
                })
            let upgrade = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true))
                        if case .refuse(let status, let headers, let body)? = decision.withLockedValue({ $0 }) {
                            return Outcome.refused(http, status: status, headers: headers, body: body)
                        }
                        return Outcome.http(http)
                    }
                })
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Outcome>(upgradeConfiguration: upgrade)
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            let outcome = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                configuration: configuration)
            return Value(outcome: outcome, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.outcome.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let status, let headers, let body):
                await Self.refuse(http, status: status, headers: headers, body: body)
            case .webSocket(let webSocket, let pending):
                await gateway.serve(pending, channel: webSocket.channel) { handler in
                    let context = GatewayWebSocketContext(logger: logger)
                    return try? await WebSocketHandler.handle(
                        type: .server,
                        configuration: .init(
                            extensions: [], autoPing: .disabled, closeTimeout: gateway.settings.closeTimeout,
                            validateUTF8: false, maxFrameSize: 2 * gateway.settings.maximumMessageBytes),
                        asyncChannel: webSocket, context: context, handler: handler)
                }
            }
        } catch {
            logger.debug("connection ended before its first request: \(error)")
        }
    }

    /// Answers a refused upgrade and closes the connection.
    static func refuse(
        _ http: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, status: Int, headers: [(String, String)],
        body: [UInt8]
    ) async {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        fields[.connection] = "close"
        fields[.contentLength] = String(body.count)
        let response = HTTPResponse(status: .init(code: status), headerFields: fields)
        try? await http.executeThenClose { _, outbound in
            try await outbound.write(contentsOf: [.head(response), .body(ByteBuffer(bytes: body)), .end(nil)])
        }
    }
}
