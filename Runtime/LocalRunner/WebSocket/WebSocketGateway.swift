import Essentials
import Foundation
import FunctionRuntime
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// What the WebSocket API answers an upgrade request, once `$connect` has.
enum UpgradeDecision: Sendable {
    /// Upgrade, with these response headers (`Sec-WebSocket-Protocol` from `$connect`).
    case accept(HTTPHeaders, GatewayConnection.Pending)
    /// Answer this instead of upgrading (`$connect`'s status, headers and body).
    case refuse(status: Int, headers: [(String, String)], body: [UInt8])
}

extension GatewayConnection {
    /// A connection `$connect` accepted, before the handshake completes.
    struct Pending: Sendable {
        var events: WebSocketEventContext
        var chargePointId: String?
    }
}

/// evcsm-local's API Gateway WebSocket API: the template's WebSocket API (``WebSocketAPIDefinition``) at
/// `ws://<host>:<port>/<stage>/{chargePointId}` (or `/<stage>?chargePointId=`), and its `@connections`
/// management API (``WebSocketManagementRoutes``).
///
/// `$connect` runs before the upgrade is accepted (its non-2xx status refuses it); each message of a connection
/// invokes `$default` in turn, and a two-way route's answer is sent back; `$disconnect` runs exactly once per
/// connection, after it closed. API Gateway's limits hold (``WebSocketGatewaySettings``).
public final class WebSocketGateway: Sendable {
    let api: WebSocketAPIDefinition
    let invoker: any FunctionInvoker
    let settings: WebSocketGatewaySettings
    let metrics: WebSocketMetrics
    let logger: Logger
    let connections = Mutex<[String: GatewayConnection]>([:])

    init(
        api: WebSocketAPIDefinition, invoker: any FunctionInvoker, settings: WebSocketGatewaySettings,
        metrics: RunnerMetrics, logger: Logger = Logger(label: "evcsm.websocket")
    ) {
        self.api = api
        self.invoker = invoker
        self.settings = settings
        self.metrics = WebSocketMetrics(registry: metrics.registry)
        self.logger = logger
    }

    /// The gateway of the template's WebSocket API; nil when it has none.
    static func make(
        template: TemplateModel, invoker: any FunctionInvoker, settings: WebSocketGatewaySettings,
        metrics: RunnerMetrics
    ) -> WebSocketGateway? {
        guard let api = template.webSocketAPIs.first else { return nil }
        return WebSocketGateway(api: api, invoker: invoker, settings: settings, metrics: metrics)
    }

    /// The connection with this id, while it is open.
    func connection(_ id: String) -> GatewayConnection? { connections.withLock { $0[id] } }

    // MARK: $connect

    static let internalError = Array(#"{"message":"Internal server error"}"#.utf8)

    /// Decides an upgrade request: a path of this API and `$connect`'s 2xx.
    func decide(head: HTTPRequestHead, sourceIp: String?) async -> UpgradeDecision {
        guard let request = WebSocketUpgradeRequest(head: head, stage: api.stage, sourceIp: sourceIp) else {
            return .refuse(
                status: 404, headers: [("Content-Type", "application/json")],
                body: Array(#"{"message":"Not Found"}"#.utf8))
        }
        let events = WebSocketEventContext(
            connectionId: WebSocketEventContext.newConnectionId(), apiId: api.logicalId, stage: api.stage,
            domainName: request.host, connectedAt: Timestamp.nowMilliseconds(),
            identity: .init(sourceIp: sourceIp, userAgent: request.userAgent))
        let pending = GatewayConnection.Pending(events: events, chargePointId: request.chargePointId)
        var log = logger
        log[metadataKey: "connectionId"] = "\(events.connectionId)"
        log[metadataKey: "chargePointId"] = "\(request.chargePointId ?? "-")"
        guard let route = api.route("$connect") else { return .accept([:], pending) }
        let event = events.connectEvent(request)
        guard let response = await invoke(route.function, event, logger: log) else {
            log.warning("$connect failed: refused with 500")
            return .refuse(status: 500, headers: [("Content-Type", "application/json")], body: Self.internalError)
        }
        let headers = (response.headers ?? [:]).filter { !Self.hopByHop.contains($0.key.lowercased()) }
            .sorted { $0.key < $1.key }
        guard (200..<300).contains(response.statusCode) else {
            log.info("$connect refused: \(response.statusCode)")
            return .refuse(
                status: response.statusCode, headers: headers, body: Array((response.body ?? "").utf8))
        }
        log.info("$connect accepted")
        return .accept(HTTPHeaders(headers), pending)
    }

    /// Headers of a `$connect` answer that are the handshake's own.
    static let hopByHop: Set<String> = [
        "connection", "upgrade", "sec-websocket-accept", "content-length", "transfer-encoding",
    ]

    /// Runs `function` with `event`; nil when it did not answer a WebSocket response.
    func invoke(
        _ function: String, _ event: APIGatewayWebSocketRequest, logger: Logger
    ) async
        -> APIGatewayWebSocketResponse?
    {
        guard let payload = try? RunnerJSON.encoder.encode(event) else { return nil }
        let outcome = await invoker.invoke(
            function: function, payload: Array(payload), requestID: event.requestContext.requestId)
        guard case .success(let bytes) = outcome else {
            logger.warning(
                "\(event.requestContext.routeKey): \(function) \(outcome.label)",
                metadata: ["requestId": "\(event.requestContext.requestId)"])
            return nil
        }
        return try? RunnerJSON.decoder.decode(APIGatewayWebSocketResponse.self, from: Data(bytes))
    }
}
