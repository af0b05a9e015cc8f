import Foundation

/// An `AWS::ApiGatewayV2::*` resource as read, before the WebSocket APIs are assembled from them.
struct WebSocketResource {
    var logicalId: String
    var type: String
    var properties: [String: TemplateValue]
}

extension TemplateLoader {
    /// The API Gateway v2 resource types evcsm-local reads (WebSocket APIs only; the HTTP API is SAM's).
    static let webSocketResourceTypes: Set<String> = [
        "AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Route", "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::RouteResponse", "AWS::ApiGatewayV2::Stage", "AWS::ApiGatewayV2::Deployment",
    ]
    static let webSocketAPIProperties: Set<String> = [
        "Name", "ProtocolType", "RouteSelectionExpression", "Description", "ApiKeySelectionExpression",
        "DisableExecuteApiEndpoint", "Tags",
    ]
    static let webSocketRouteProperties: Set<String> = [
        "ApiId", "RouteKey", "Target", "AuthorizationType", "RouteResponseSelectionExpression", "OperationName",
    ]
    static let webSocketIntegrationProperties: Set<String> = [
        "ApiId", "IntegrationType", "IntegrationUri", "Description", "TimeoutInMillis", "PassthroughBehavior",
        "ContentHandlingStrategy",
    ]

    /// Reads a resource of ``webSocketResourceTypes``.
    static func webSocketResource(
        _ id: String, type: String, _ properties: TemplateValue?
    ) throws(LocalRunnerError) -> WebSocketResource {
        WebSocketResource(logicalId: id, type: type, properties: try mapping(properties, at: "resource \(id)"))
    }

    /// The WebSocket APIs: every `AWS::ApiGatewayV2::Api` (`ProtocolType: WEBSOCKET`) with its one stage and its
    /// routes, each bound through its `AWS_PROXY` integration to a function of `functions`.
    static func webSocketAPIs(
        _ resources: [WebSocketResource], functions: Set<String>, context: Resolution
    ) throws(LocalRunnerError) -> [WebSocketAPIDefinition] {
        func ofType(_ type: String) -> [WebSocketResource] { resources.filter { $0.type == type } }
        func apiId(_ r: WebSocketResource) throws(LocalRunnerError) -> String {
            guard case .intrinsic("Ref", .scalar(let api))? = r.properties["ApiId"] else {
                throw LocalRunnerError(
                    .template, "resource \(r.logicalId): ApiId must be !Ref <AWS::ApiGatewayV2::Api>")
            }
            return api
        }
        var integrations: [String: String] = [:]
        for r in ofType("AWS::ApiGatewayV2::Integration") {
            let at = "resource \(r.logicalId)"
            for key in r.properties.keys where !webSocketIntegrationProperties.contains(key) {
                throw LocalRunnerError(.template, "\(at): property \(key) is not supported by evcsm-local")
            }
            guard try context.resolve(r.properties["IntegrationType"]) == "AWS_PROXY" else {
                throw LocalRunnerError(.template, "\(at): only IntegrationType AWS_PROXY (Lambda proxy) is supported")
            }
            guard let function = integrationFunction(r.properties["IntegrationUri"]), functions.contains(function)
            else {
                throw LocalRunnerError(
                    .template, "\(at): IntegrationUri must name a function of this template (${<Function>.Arn})")
            }
            integrations[r.logicalId] = function
        }
        var twoWay: Set<String> = []
        for r in ofType("AWS::ApiGatewayV2::RouteResponse") {
            guard case .intrinsic("Ref", .scalar(let route))? = r.properties["RouteId"] else {
                throw LocalRunnerError(.template, "resource \(r.logicalId): RouteId must be !Ref <Route>")
            }
            twoWay.insert(route)
        }
        var apis: [WebSocketAPIDefinition] = []
        for api in ofType("AWS::ApiGatewayV2::Api") {
            let at = "resource \(api.logicalId)"
            for key in api.properties.keys where !webSocketAPIProperties.contains(key) {
                throw LocalRunnerError(.template, "\(at): property \(key) is not supported by evcsm-local")
            }
            guard try context.resolve(api.properties["ProtocolType"]) == "WEBSOCKET" else {
                throw LocalRunnerError(
                    .template,
                    "\(at): only ProtocolType WEBSOCKET is supported (HTTP APIs are AWS::Serverless::HttpApi)")
            }
            var stages: [WebSocketResource] = []
            for s in ofType("AWS::ApiGatewayV2::Stage") where try apiId(s) == api.logicalId { stages.append(s) }
            guard stages.count == 1, let stage = try context.resolve(stages[0].properties["StageName"]),
                !stage.isEmpty, !stage.contains("/")
            else {
                throw LocalRunnerError(.template, "\(at): needs exactly one AWS::ApiGatewayV2::Stage with a StageName")
            }
            var routes: [WebSocketRouteDefinition] = []
            for r in ofType("AWS::ApiGatewayV2::Route") where try apiId(r) == api.logicalId {
                routes.append(try webSocketRoute(r, integrations: integrations, twoWay: twoWay, context: context))
            }
            guard !routes.isEmpty else {
                throw LocalRunnerError(.template, "\(at): has no routes")
            }
            apis.append(
                WebSocketAPIDefinition(
                    logicalId: api.logicalId,
                    routeSelectionExpression: try context.resolve(api.properties["RouteSelectionExpression"])
                        ?? "$request.body.action", stage: stage, routes: routes))
        }
        return apis
    }

    static func webSocketRoute(
        _ r: WebSocketResource, integrations: [String: String], twoWay: Set<String>, context: Resolution
    ) throws(LocalRunnerError) -> WebSocketRouteDefinition {
        let at = "resource \(r.logicalId)"
        for key in r.properties.keys where !webSocketRouteProperties.contains(key) {
            throw LocalRunnerError(.template, "\(at): property \(key) is not supported by evcsm-local")
        }
        guard let key = try context.resolve(r.properties["RouteKey"]), !key.isEmpty else {
            throw LocalRunnerError(.template, "\(at): RouteKey is missing")
        }
        guard ["$connect", "$disconnect", "$default"].contains(key) else {
            throw LocalRunnerError(
                .template, "\(at): RouteKey \(key) is not supported by evcsm-local ($connect, $disconnect, $default)")
        }
        if let authorization = try context.resolve(r.properties["AuthorizationType"]), authorization != "NONE" {
            throw LocalRunnerError(.template, "\(at): AuthorizationType \(authorization) is not supported (NONE)")
        }
        guard let integration = integrationTarget(r.properties["Target"]), let function = integrations[integration]
        else {
            throw LocalRunnerError(
                .template, "\(at): Target must be integrations/<AWS::ApiGatewayV2::Integration> of this template")
        }
        let returnsResponse = r.properties["RouteResponseSelectionExpression"] != nil && twoWay.contains(r.logicalId)
        return WebSocketRouteDefinition(routeKey: key, function: function, returnsResponse: returnsResponse)
    }

    /// `X` in a route's `Target`: `!Join ["/", [integrations, !Ref X]]` or `!Sub integrations/${X}`.
    static func integrationTarget(_ value: TemplateValue?) -> String? {
        switch value {
        case .intrinsic("Fn::Join", .list(let parts))?:
            guard parts.count == 2, parts[0].scalarText == "/", case .list(let items) = parts[1], items.count == 2,
                items[0].scalarText == "integrations", case .intrinsic("Ref", .scalar(let id)) = items[1]
            else { return nil }
            return id
        case .intrinsic("Fn::Sub", .scalar(let text))?:
            guard text.hasPrefix("integrations/${"), text.hasSuffix("}") else { return nil }
            return String(text.dropFirst("integrations/${".count).dropLast())
        default:
            return nil
        }
    }

    /// The function in a Lambda proxy integration's `IntegrationUri`: the `${F.Arn}` of a `!Sub`, or the
    /// `!GetAtt F.Arn` item of a `!Join`.
    static func integrationFunction(_ value: TemplateValue?) -> String? {
        switch value {
        case .intrinsic("Fn::Sub", .scalar(let text))?:
            guard let close = text.range(of: ".Arn}"),
                let open = text[..<close.lowerBound].range(of: "${", options: .backwards)
            else { return nil }
            return String(text[open.upperBound..<close.lowerBound])
        case .intrinsic("Fn::Join", .list(let parts))?:
            guard parts.count == 2, case .list(let items) = parts[1] else { return nil }
            return items.lazy.compactMap { reference($0, attribute: "Arn") }.first
        default:
            return nil
        }
    }
}
