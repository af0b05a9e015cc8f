import Foundation
import Testing

@testable import LocalRunner

/// `AWS::ApiGatewayV2::*` resources: the WebSocket API, its stage, and each route's function.
@Suite("Template: WebSocket API")
struct TemplateWebSocketTests {
    let loader = TemplateLoader()

    @Test func theRepositoryTemplatesOcppApi() throws {
        let model = try loader.load(path: "\(TestEnvironment.root)/template.yaml")
        #expect(
            model.webSocketAPIs == [
                WebSocketAPIDefinition(
                    logicalId: "OcppApi", routeSelectionExpression: "$request.body.action", stage: "ocpp",
                    routes: [
                        WebSocketRouteDefinition(routeKey: "$connect", function: "OcppConnect"),
                        WebSocketRouteDefinition(routeKey: "$disconnect", function: "OcppDisconnect"),
                        WebSocketRouteDefinition(routeKey: "$default", function: "OcppMessage", returnsResponse: true),
                    ])
            ])
        let message = try #require(model.function(named: "OcppMessage"))
        #expect(message.environment["OCPP_CONNECTIONS_ENDPOINT"] == TemplateLoader.runnerProvidedPlaceholder)
        #expect(message.environment["OCPP_HEARTBEAT_INTERVAL"] == "300")
        #expect(message.routes.isEmpty)
        let dump = try TemplateDump.json(model)
        #expect(dump.contains(#""webSocketAPIs""#) && dump.contains(#""routeKey" : "$default""#))
        let decoded = try JSONDecoder().decode(TemplateModel.self, from: Data(dump.utf8))
        #expect(decoded.webSocketAPIs == model.webSocketAPIs)
    }

    static func yaml(integration: String = "AWS_PROXY", target: String, extra: String = "") -> String {
        """
        Resources:
          Echo:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: ., Handler: bootstrap, Runtime: provided.al2023}
          Api:
            Type: AWS::ApiGatewayV2::Api
            Properties: {Name: x, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
          Stage:
            Type: AWS::ApiGatewayV2::Stage
            Properties: {ApiId: !Ref Api, StageName: live, AutoDeploy: true}
          EchoIntegration:
            Type: AWS::ApiGatewayV2::Integration
            Properties:
              ApiId: !Ref Api
              IntegrationType: \(integration)
              IntegrationUri: !Join ["", ["arn:aws:apigateway:", !Ref AWS::Region, ":lambda:path/2015-03-31/functions/", !GetAtt Echo.Arn, "/invocations"]]
          Default:
            Type: AWS::ApiGatewayV2::Route
            Properties:
              ApiId: !Ref Api
              RouteKey: $default
              Target: \(target)
        \(extra)
        """
    }

    @Test func aSubTargetAndAJoinIntegrationUriBindTheRoute() throws {
        let model = try loader.parse(yaml: Self.yaml(target: "!Sub integrations/${EchoIntegration}"))
        #expect(
            model.webSocketAPIs == [
                WebSocketAPIDefinition(
                    logicalId: "Api", stage: "live",
                    routes: [WebSocketRouteDefinition(routeKey: "$default", function: "Echo")])
            ])
    }

    @Test func whatTheRunnerCannotEmulateIsAnErrorNamingTheResource() throws {
        let join = #"!Join ["/", [integrations, !Ref EchoIntegration]]"#
        #expect(throws: LocalRunnerError.self) { try loader.parse(yaml: Self.yaml(integration: "AWS", target: join)) }
        do {
            _ = try loader.parse(yaml: Self.yaml(integration: "HTTP_PROXY", target: join))
            Issue.record("HTTP_PROXY was accepted")
        } catch {
            #expect(error.message.contains("EchoIntegration") && error.message.contains("AWS_PROXY"))
        }
        do {
            _ = try loader.parse(yaml: Self.yaml(target: "integrations/EchoIntegration"))
            Issue.record("a literal Target was accepted")
        } catch {
            #expect(error.message.contains("resource Default"))
        }
        let second = """
              Stage2:
                Type: AWS::ApiGatewayV2::Stage
                Properties: {ApiId: !Ref Api, StageName: other}
            """
        do {
            _ = try loader.parse(yaml: Self.yaml(target: join, extra: second))
            Issue.record("two stages were accepted")
        } catch {
            #expect(error.message.contains("exactly one AWS::ApiGatewayV2::Stage"))
        }
    }
}
