import ChargingWire
import FunctionRuntime
import Logging

/// `$default` of the OCPP WebSocket API: one OCPP-J message per invocation; the response body (the route
/// response) is the reply frame, if any.
///
/// - not readable (not JSON, not an array, wrong element types; a binary frame) → CALLERROR
///   `FormationViolation`; an unknown MessageTypeId or wrong element count → `ProtocolError` (a broken CALLRESULT
///   or CALLERROR is logged, never answered);
/// - from a connection OcppConnect did not record → CALLERROR `SecurityError` (the charger should reconnect);
/// - a CALL → ``OcppDispatcher``; a CALLRESULT / CALLERROR → ``OutstandingCallStore/resolve(chargePointId:messageId:outcome:)``
///   (no reply; an answer to no outstanding call is ignored).
///
/// The connection's charger is cached in process memory for a minute (``OcppPeerCache``).
public struct OcppMessageHandler: OcppRoute {
    let deps: OcppDependencies
    let dispatcher: OcppDispatcher
    let peers: OcppPeerCache

    /// The handler with the live dispatcher (``OcppDispatcher/live(_:)``) and a fresh connection cache.
    public init(_ deps: OcppDependencies) { self.init(deps, dispatcher: .live(deps)) }

    /// The handler with `dispatcher` and `peers`.
    public init(_ deps: OcppDependencies, dispatcher: OcppDispatcher, peers: OcppPeerCache = OcppPeerCache()) {
        self.deps = deps
        self.dispatcher = dispatcher
        self.peers = peers
    }

    public func handle(
        _ request: APIGatewayWebSocketRequest, context: FunctionContext
    ) async throws
        -> APIGatewayWebSocketResponse
    {
        guard let reply = await reply(to: request, logger: context.logger) else {
            return APIGatewayWebSocketResponse(statusCode: 200)
        }
        return APIGatewayWebSocketResponse(statusCode: 200, body: reply.text)
    }

    /// The frame to send back, or nil.
    func reply(to request: APIGatewayWebSocketRequest, logger: Logger) async -> OcppFrame? {
        let connectionId = request.requestContext.connectionId
        var logger = logger
        logger[metadataKey: "connectionId"] = "\(connectionId)"
        guard request.isBase64Encoded != true else {
            logger.info("binary frame refused")
            return .error(answering: nil, .formationViolation, "OCPP-J messages are text frames")
        }
        let frame: OcppFrame
        switch OcppFrame.parse(Array((request.body ?? "").utf8)) {
        case .success(let parsed): frame = parsed
        case .failure(let error):
            logger.info(
                "unreadable OCPP message",
                metadata: [
                    "code": "\(error.code.rawValue)", "why": "\(error.description)", "answered": "\(error.isAnswered)",
                ])
            return error.isAnswered ? error.answer : nil
        }
        let receivedAt = deps.charging.clock.nowMilliseconds()
        let peer: OcppPeer
        do {
            guard let found = try await self.peer(connectionId: connectionId, now: receivedAt) else {
                logger.warning("OCPP message from an unknown connection")
                guard case .call = frame else { return nil }
                return .error(answering: frame.messageId, .securityError, "connection not registered; reconnect")
            }
            peer = found
        } catch {
            logger.error("looking up the connection failed", metadata: ["error": "\(String(reflecting: error))"])
            guard case .call = frame else { return nil }
            return .error(answering: frame.messageId, .internalError, "the Central System could not process it; retry")
        }
        logger[metadataKey: "chargePointId"] = "\(peer.chargePointId)"
        switch frame {
        case .call(let messageId, let action, let payload):
            return await dispatcher.dispatch(
                messageId: messageId, action: action, payload: payload, peer: peer, receivedAt: receivedAt,
                logger: logger)
        case .callResult(let messageId, let payload):
            await resolve(peer, messageId, .result(payload), logger: logger)
        case .callError(let messageId, let code, let description, _):
            await resolve(peer, messageId, .error(code: code, description: description), logger: logger)
        }
        return nil
    }

    /// The charger of `connectionId`: cached, else from the connection index and the registry.
    func peer(connectionId: String, now: Int64) async throws -> OcppPeer? {
        if let cached = peers.peer(connectionId: connectionId, now: now) { return cached }
        guard let connection = try await deps.chargers.connected(connectionId: connectionId),
            let registration = try await deps.registry.registration(chargePointId: connection.chargePointId),
            registration.ocpp
        else { return nil }
        let peer = OcppPeer(
            chargePointId: connection.chargePointId, connectionId: connectionId, registration: registration)
        peers.store(peer, now: now)
        return peer
    }

    private func resolve(_ peer: OcppPeer, _ messageId: String, _ outcome: OcppCallOutcome, logger: Logger) async {
        do {
            let matched = try await deps.outstanding.resolve(
                chargePointId: peer.chargePointId, messageId: messageId, outcome: outcome)
            if !matched {
                logger.info("answer to no outstanding call ignored", metadata: ["messageId": "\(messageId)"])
            }
        } catch {
            logger.error(
                "recording the charger's answer failed",
                metadata: ["messageId": "\(messageId)", "error": "\(String(reflecting: error))"])
        }
    }
}
