import FunctionRuntime
import Logging

/// `$disconnect` of the OCPP WebSocket API: removes the connection from the index and, while it is still the
/// charger's current one, clears the point's `connection` and publishes `chargepoint/status` `{connected: false}`.
/// A connection that a reconnect already replaced changes nothing else. Always 200 (API Gateway ignores the
/// answer; a store failure is logged, and the index entry it leaves behind is never looked up again, since a
/// connectionId is never reused).
public struct OcppDisconnectHandler: OcppRoute {
    let deps: OcppDependencies

    public init(_ deps: OcppDependencies) { self.deps = deps }

    public func handle(
        _ request: APIGatewayWebSocketRequest, context: FunctionContext
    ) async throws
        -> APIGatewayWebSocketResponse
    {
        let connectionId = request.requestContext.connectionId
        let logger = context.logger
        do {
            guard let (connection, wasCurrent) = try await deps.chargers.disconnect(connectionId: connectionId) else {
                logger.info("unknown connection closed", metadata: ["connectionId": "\(connectionId)"])
                return APIGatewayWebSocketResponse(statusCode: 200)
            }
            logger.info(
                "OCPP charger disconnected",
                metadata: [
                    "chargePointId": "\(connection.chargePointId)", "connectionId": "\(connectionId)",
                    "current": "\(wasCurrent)", "code": "\(request.requestContext.disconnectStatusCode ?? 0)",
                    "reason": "\(request.requestContext.disconnectReason ?? "")",
                ])
            if wasCurrent {
                await ChargerStatusMessage(
                    chargePointId: connection.chargePointId, connected: false,
                    timestamp: deps.charging.clock.nowMilliseconds()
                ).publish(with: deps.charging.publisher, logger: logger)
            }
        } catch {
            logger.error(
                "recording the disconnect failed",
                metadata: ["connectionId": "\(connectionId)", "error": "\(String(reflecting: error))"])
        }
        return APIGatewayWebSocketResponse(statusCode: 200)
    }
}
