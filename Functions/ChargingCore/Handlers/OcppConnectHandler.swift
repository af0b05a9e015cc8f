import ChargingWire
import FunctionRuntime
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `$connect` of the OCPP WebSocket API: admits a registered OCPP 1.6J charger (security profile 1).
///
/// - identity: `queryStringParameters.chargePointId` (the runner and a cloud path rewrite put the last URL path
///   segment there); missing or not a valid chargePointId → 400;
/// - the point must be registered with `ocpp: true` → else 404;
/// - HTTP Basic auth `Authorization: Basic base64(<chargePointId>:<password>)`: the username must be the identity
///   and the password must verify against the stored hash (constant-time) → else 401 with
///   `WWW-Authenticate: Basic realm="evcsm"` (also while the registration is still unprovisioned);
/// - `Sec-WebSocket-Protocol` must offer `ocpp1.6` → else 400. (OCPP-J lets the server complete the handshake
///   and close at once; refusing it has the same result for the charger and keeps the connection out of the
///   index.) Accepted: 200 with `Sec-WebSocket-Protocol: ocpp1.6`.
///
/// The connection is then stored (``ChargerStateStore/connect(_:)``; a previous connection of the same charger is
/// simply replaced as the point's current one, and its later `$disconnect` leaves the new one alone) and
/// `chargepoint/status` `{connected: true}` is published. The Authorization header and the password are never
/// logged.
public struct OcppConnectHandler: OcppRoute {
    /// The subprotocol evcsm speaks.
    public static let subprotocol = "ocpp1.6"
    /// The Basic auth challenge of a 401.
    public static let challenge = #"Basic realm="evcsm""#

    let deps: OcppDependencies

    public init(_ deps: OcppDependencies) { self.deps = deps }

    public func handle(
        _ request: APIGatewayWebSocketRequest, context: FunctionContext
    ) async throws
        -> APIGatewayWebSocketResponse
    {
        let logger = context.logger
        guard let id = request.queryStringParameters?["chargePointId"],
            ChargerRegistrationRequest.isValidChargePointID(id)
        else { return Self.refuse(400, "no valid charge point identity in the URL", logger: logger) }
        guard let registration = try await deps.registry.registration(chargePointId: id), registration.ocpp else {
            return Self.refuse(404, "charge point \(id) is not registered as an OCPP charger", logger: logger)
        }
        guard registration.provisioned,
            let password = Self.basicPassword(request.header("Authorization"), username: id),
            registration.credentials.verifies(password)
        else {
            logger.info("OCPP connection refused: bad or missing Basic auth", metadata: ["chargePointId": "\(id)"])
            return APIGatewayWebSocketResponse(
                statusCode: 401, headers: ["WWW-Authenticate": Self.challenge], body: "authentication required")
        }
        guard Self.offersSubprotocol(request) else {
            return Self.refuse(400, "the charger must offer the subprotocol \(Self.subprotocol)", logger: logger)
        }
        let connection = ChargerConnection(
            connectionId: request.requestContext.connectionId, chargePointId: id,
            connectedAt: request.requestContext.connectedAt ?? deps.charging.clock.nowMilliseconds(),
            sourceIp: request.requestContext.identity?.sourceIp)
        try await deps.chargers.connect(connection)
        logger.info(
            "OCPP charger connected",
            metadata: ["chargePointId": "\(id)", "connectionId": "\(connection.connectionId)"])
        await ChargerStatusMessage(chargePointId: id, connected: true, timestamp: connection.connectedAt)
            .publish(with: deps.charging.publisher, logger: logger)
        return APIGatewayWebSocketResponse(statusCode: 200, headers: ["Sec-WebSocket-Protocol": Self.subprotocol])
    }

    static func refuse(_ status: Int, _ reason: String, logger: Logger) -> APIGatewayWebSocketResponse {
        logger.info("OCPP connection refused", metadata: ["status": "\(status)", "reason": "\(reason)"])
        return APIGatewayWebSocketResponse(statusCode: status, body: reason)
    }

    /// The password of `Basic base64(username:password)` when its username is `username`; nil otherwise.
    static func basicPassword(_ header: String?, username: String) -> [UInt8]? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let decoded = Data(base64Encoded: String(parts[1]).trimmingSpaces)
        else { return nil }
        let bytes = Array(decoded)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
            Array(bytes[..<colon]) == Array(username.utf8)
        else { return nil }
        return Array(bytes[(colon + 1)...])
    }

    /// True when the `Sec-WebSocket-Protocol` lists (comma-separated; in `headers`, or several headers in
    /// `multiValueHeaders`) contain `ocpp1.6`.
    static func offersSubprotocol(_ request: APIGatewayWebSocketRequest) -> Bool {
        let name = "sec-websocket-protocol"
        var lists = request.header(name).map { [$0] } ?? []
        lists += request.multiValueHeaders?.first { $0.key.lowercased() == name }?.value ?? []
        return lists.contains { list in list.split(separator: ",").contains { String($0).trimmingSpaces == subprotocol }
        }
    }
}
