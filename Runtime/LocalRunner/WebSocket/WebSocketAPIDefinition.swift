/// An `AWS::ApiGatewayV2::Api` with `ProtocolType: WEBSOCKET`: its stage and the functions its routes invoke
/// (Lambda proxy integrations). evcsm-local serves it at `ws://<host>:<port>/<stage>` (``WebSocketGateway``).
public struct WebSocketAPIDefinition: Sendable, Equatable, Codable {
    /// The API's logical id (`OcppApi`).
    public var logicalId: String
    /// `RouteSelectionExpression` (`$request.body.action`); messages no route key matches go to `$default`.
    public var routeSelectionExpression: String
    /// The stage's name (`ocpp`): the local URL path, as the cloud URL ends with it.
    public var stage: String
    /// The routes in template order.
    public var routes: [WebSocketRouteDefinition]

    public init(
        logicalId: String, routeSelectionExpression: String = "$request.body.action", stage: String,
        routes: [WebSocketRouteDefinition]
    ) {
        self.logicalId = logicalId
        self.routeSelectionExpression = routeSelectionExpression
        self.stage = stage
        self.routes = routes
    }

    /// The route with this key (`$connect`, `$disconnect`, `$default`).
    public func route(_ key: String) -> WebSocketRouteDefinition? { routes.first { $0.routeKey == key } }
}

/// One `AWS::ApiGatewayV2::Route` of a WebSocket API.
public struct WebSocketRouteDefinition: Sendable, Equatable, Codable {
    /// `$connect`, `$disconnect`, `$default` or a custom key.
    public var routeKey: String
    /// The logical id of the function its integration invokes.
    public var function: String
    /// Whether the function's answer goes back to the client: the route has a `RouteResponseSelectionExpression`
    /// and an `AWS::ApiGatewayV2::RouteResponse` (a two-way route).
    public var returnsResponse: Bool

    public init(routeKey: String, function: String, returnsResponse: Bool = false) {
        self.routeKey = routeKey
        self.function = function
        self.returnsResponse = returnsResponse
    }
}
