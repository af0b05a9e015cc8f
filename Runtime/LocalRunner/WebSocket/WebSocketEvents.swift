import Essentials
import Foundation
import FunctionRuntime
import NIOHTTP1

/// The upgrade request of a WebSocket connection as `$connect` sees it: the charger's identity (last path segment
/// or `?chargePointId=`), the query, the headers and the caller.
struct WebSocketUpgradeRequest: Sendable, Equatable {
    /// Query parameters, percent-decoded; the path's identity is `chargePointId` (it wins over the query's).
    var query: [String: String]
    /// Headers as received: the last value of each name, and every value.
    var headers: [String: String]
    var multiValueHeaders: [String: [String]]
    var sourceIp: String?

    /// Reads `head` if its path is `/<stage>` or `/<stage>/<chargePointId>`; nil for any other path.
    init?(head: HTTPRequestHead, stage: String, sourceIp: String?) {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let segments = parts[0].split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard segments.first.map(String.init) == stage, segments.count <= 2 else { return nil }
        var query: [String: String] = [:]
        if parts.count > 1 {
            for item in parts[1].split(separator: "&") {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = String(pair[0]).removingPercentEncoding, !name.isEmpty else { continue }
                query[name] = pair.count > 1 ? String(pair[1]).removingPercentEncoding ?? String(pair[1]) : ""
            }
        }
        if segments.count == 2 {
            guard let identity = String(segments.last!).removingPercentEncoding, !identity.isEmpty else { return nil }
            query["chargePointId"] = identity
        }
        var headers: [String: String] = [:]
        var multi: [String: [String]] = [:]
        for (name, value) in head.headers {
            headers[name] = value
            multi[name, default: []].append(value)
        }
        self.query = query
        self.headers = headers
        self.multiValueHeaders = multi
        self.sourceIp = sourceIp
    }

    /// The charger's identity, when the URL gave one.
    var chargePointId: String? { query["chargePointId"] }
    var userAgent: String? { headers.first { $0.key.lowercased() == "user-agent" }?.value }
    var host: String? { headers.first { $0.key.lowercased() == "host" }?.value }
}

/// What every event of one connection shares: its id, the API it belongs to and the caller.
struct WebSocketEventContext: Sendable {
    var connectionId: String
    var apiId: String
    var stage: String
    var domainName: String?
    var connectedAt: Int64
    var identity: APIGatewayWebSocketRequest.Context.Identity

    func context(
        routeKey: String, eventType: String, messageId: String? = nil, disconnect: (code: Int, reason: String)? = nil
    ) -> APIGatewayWebSocketRequest.Context {
        APIGatewayWebSocketRequest.Context(
            routeKey: routeKey, eventType: eventType, connectionId: connectionId, messageId: messageId,
            domainName: domainName, stage: stage, apiId: apiId, requestId: RequestID.next(), connectedAt: connectedAt,
            requestTimeEpoch: Timestamp.nowMilliseconds(), identity: identity,
            disconnectStatusCode: disconnect?.code, disconnectReason: disconnect?.reason)
    }

    /// `$connect`: the upgrade's headers and query.
    func connectEvent(_ request: WebSocketUpgradeRequest) -> APIGatewayWebSocketRequest {
        APIGatewayWebSocketRequest(
            requestContext: context(routeKey: "$connect", eventType: "CONNECT"), headers: request.headers,
            multiValueHeaders: request.multiValueHeaders,
            queryStringParameters: request.query.isEmpty ? nil : request.query, isBase64Encoded: false)
    }

    /// A message (`$default`): the text, or base64 of a binary message.
    func messageEvent(routeKey: String, text: String?, binary: [UInt8]?) -> APIGatewayWebSocketRequest {
        let messageId = String(RequestID.next().replacingOccurrences(of: "-", with: "").prefix(16))
        return APIGatewayWebSocketRequest(
            requestContext: context(routeKey: routeKey, eventType: "MESSAGE", messageId: messageId),
            body: text ?? binary.map { Data($0).base64EncodedString() }, isBase64Encoded: binary != nil)
    }

    /// `$disconnect`, with the close code and reason.
    func disconnectEvent(code: Int, reason: String) -> APIGatewayWebSocketRequest {
        APIGatewayWebSocketRequest(
            requestContext: context(
                routeKey: "$disconnect", eventType: "DISCONNECT", disconnect: (code, reason)), isBase64Encoded: false)
    }

    /// A new connection id: 16 characters of base64url (no padding), unreserved in URLs and SigV4.
    static func newConnectionId() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<12).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }
}
