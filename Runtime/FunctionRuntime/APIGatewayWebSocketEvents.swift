#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An API Gateway WebSocket API event (`$connect`, `$disconnect`, `$default` and custom routes), as the Lambda
/// proxy integration delivers it. Only the fields evcsm reads or forwards.
public struct APIGatewayWebSocketRequest: Codable, Sendable, Equatable {
    /// `requestContext` of a WebSocket event.
    public struct Context: Codable, Sendable, Equatable {
        /// The caller as API Gateway saw it (on `$connect`; API Gateway repeats it on later events).
        public struct Identity: Codable, Sendable, Equatable {
            public var sourceIp: String?
            public var userAgent: String?

            public init(sourceIp: String? = nil, userAgent: String? = nil) {
                self.sourceIp = sourceIp
                self.userAgent = userAgent
            }
        }
        /// `$connect`, `$disconnect`, `$default` or a custom route key.
        public var routeKey: String
        /// `CONNECT`, `MESSAGE` or `DISCONNECT`.
        public var eventType: String
        /// The connection's id, the `{connectionId}` of the management API's `@connections/{connectionId}`.
        public var connectionId: String
        /// The message's id (MESSAGE events).
        public var messageId: String?
        public var domainName: String?
        public var stage: String?
        public var apiId: String?
        public var requestId: String
        /// When the connection was opened (ms since the epoch).
        public var connectedAt: Int64?
        /// When this event was received (ms since the epoch).
        public var requestTimeEpoch: Int64?
        public var identity: Identity?
        /// The WebSocket close code (DISCONNECT events).
        public var disconnectStatusCode: Int?
        /// Why the connection closed (DISCONNECT events).
        public var disconnectReason: String?

        public init(
            routeKey: String, eventType: String, connectionId: String, messageId: String? = nil,
            domainName: String? = nil, stage: String? = nil, apiId: String? = nil, requestId: String,
            connectedAt: Int64? = nil, requestTimeEpoch: Int64? = nil, identity: Identity? = nil,
            disconnectStatusCode: Int? = nil, disconnectReason: String? = nil
        ) {
            self.routeKey = routeKey
            self.eventType = eventType
            self.connectionId = connectionId
            self.messageId = messageId
            self.domainName = domainName
            self.stage = stage
            self.apiId = apiId
            self.requestId = requestId
            self.connectedAt = connectedAt
            self.requestTimeEpoch = requestTimeEpoch
            self.identity = identity
            self.disconnectStatusCode = disconnectStatusCode
            self.disconnectReason = disconnectReason
        }
    }

    public var requestContext: Context
    /// Request headers of the upgrade (`$connect` only).
    public var headers: [String: String]?
    public var multiValueHeaders: [String: [String]]?
    /// Query parameters of the upgrade URL (`$connect` only).
    public var queryStringParameters: [String: String]?
    /// The message (MESSAGE events): the frame's text, or base64 of a binary frame when `isBase64Encoded`.
    public var body: String?
    public var isBase64Encoded: Bool?

    public init(
        requestContext: Context, headers: [String: String]? = nil, multiValueHeaders: [String: [String]]? = nil,
        queryStringParameters: [String: String]? = nil, body: String? = nil, isBase64Encoded: Bool? = nil
    ) {
        self.requestContext = requestContext
        self.headers = headers
        self.multiValueHeaders = multiValueHeaders
        self.queryStringParameters = queryStringParameters
        self.body = body
        self.isBase64Encoded = isBase64Encoded
    }

    /// The value of header `name`, whatever its case in the event.
    public func header(_ name: String) -> String? {
        guard let headers else { return nil }
        if let value = headers[name] { return value }
        let wanted = name.lowercased()
        return headers.first { $0.key.lowercased() == wanted }?.value
    }
}

/// What a WebSocket route's function answers: on `$connect` a non-2xx status refuses the connection and
/// `headers` go into the handshake response (e.g. `Sec-WebSocket-Protocol`); on a route with a route response
/// (`$default` here) a non-empty `body` is sent back to the client as one message.
public struct APIGatewayWebSocketResponse: Codable, Sendable, Equatable {
    public var statusCode: Int
    public var headers: [String: String]?
    public var body: String?

    public init(statusCode: Int = 200, headers: [String: String]? = nil, body: String? = nil) {
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
    }
}

/// A route of an API Gateway WebSocket API (Lambda proxy integration).
///
/// Handlers answer every expected failure themselves (a refused `$connect` is a 4xx response, a bad message an
/// answer in the protocol spoken over the socket); anything thrown becomes a logged 500 with no body, which
/// refuses a `$connect` and sends nothing back for a message (see ``WebSocketFunctionAdapter``).
public protocol WebSocketFunction: FunctionHandler
where Event == APIGatewayWebSocketRequest, Output == APIGatewayWebSocketResponse {}

/// The adapter for ``WebSocketFunction``s: they always answer with an ``APIGatewayWebSocketResponse``.
public struct WebSocketFunctionAdapter<Handler: WebSocketFunction>: InvocationAdapter {
    public let handler: Handler

    public init(_ handler: Handler) { self.handler = handler }

    public func invoke(_ event: [UInt8], context: FunctionContext) async throws -> InvocationOutput {
        let request = try decodeEvent(APIGatewayWebSocketRequest.self, from: event)
        let response = await respond(to: request, context: context)
        return InvocationOutput(body: try encodeOutput(response), isServerError: response.statusCode >= 500)
    }

    /// Runs the handler; a thrown error is logged with the request id and becomes a 500 without a body.
    public func respond(
        to request: APIGatewayWebSocketRequest, context: FunctionContext
    ) async
        -> APIGatewayWebSocketResponse
    {
        do {
            return try await handler.handle(request, context: context)
        } catch {
            context.logger.error(
                "unexpected error",
                metadata: [
                    "error": "\(String(reflecting: error))", "route": "\(request.requestContext.routeKey)",
                    "connectionId": "\(request.requestContext.connectionId)",
                ])
            return APIGatewayWebSocketResponse(statusCode: 500)
        }
    }
}

func makeWebSocketAdapter<Handler: WebSocketFunction>(_ handler: Handler) -> any InvocationAdapter {
    WebSocketFunctionAdapter(handler)
}
