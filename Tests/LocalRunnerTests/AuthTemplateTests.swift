import Foundation
import Testing

@testable import LocalRunner

/// Which routes the template puts behind the JWT authorizer: `security` in the HttpApi's `DefinitionBody`, after
/// `Conditions` and `Fn::If` are resolved on the parameter defaults.
@Suite("Template JWT authorizer routes")
struct AuthTemplateTests {
    static func template(authMode: String, extra: String = "") -> String {
        """
        Parameters:
          AuthMode: {Type: String, Default: \(authMode)}
          Issuer: {Type: String, Default: "https://issuer.test"}
        Conditions:
          HasJwtAuthorizer: !Equals [!Ref AuthMode, jwt]
          HasIssuer: !Not [!Equals [!Ref Issuer, ""]]
          Both: !And [!Condition HasJwtAuthorizer, {Condition: HasIssuer}]
        Resources:
          Api:
            Type: AWS::Serverless::HttpApi
            Properties:
              DefinitionBody:
                paths:
                  /a:
                    get:
                      security: !If [Both, [{JwtAuthorizer: []}], !Ref AWS::NoValue]
                    x-amazon-apigateway-any-method:
                      security: [{JwtAuthorizer: []}]
                  /b/{id}:
                    post:
                      security: []
        \(extra)
          F:
            Type: AWS::Serverless::Function
            Properties:
              Events:
                A: {Type: HttpApi, Properties: {Method: GET, Path: /a}}
                B: {Type: HttpApi, Properties: {Method: POST, Path: "/b/{id}"}}
        """
    }

    @Test("conditions resolve on the defaults; an empty security list and AWS::NoValue leave a route open")
    func protectedRoutes() throws {
        let on = try TemplateLoader().parse(yaml: Self.template(authMode: "jwt"))
        #expect(on.protectedRoutes == ["GET /a", "ANY /a"])
        #expect(on.isProtected(RouteDefinition(method: "GET", path: "/a")))
        #expect(!on.isProtected(RouteDefinition(method: "POST", path: "/b/{id}")))
        let off = try TemplateLoader().parse(yaml: Self.template(authMode: "none"))
        #expect(off.protectedRoutes == ["ANY /a"])
        let dump = try TemplateDump.json(on)
        #expect(
            try JSONDecoder().decode(TemplateModel.self, from: Data(dump.utf8)).protectedRoutes == on.protectedRoutes)
    }

    @Test("the real template protects every REST route by default")
    func realTemplate() throws {
        let model = try TemplateLoader().load(path: "\(TestEnvironment.root)/template.yaml")
        let routes = model.routes.map(\.route.routeKey)
        #expect(!routes.isEmpty)
        for route in routes { #expect(model.protectedRoutes.contains(route), "\(route) is open") }
        #expect(model.function(named: "GetStatus")?.environment["AUTH_MODE"] == "jwt")
    }

    @Test("an authorizer that is not a JWT one, or an undefined condition, is a template error")
    func refused() throws {
        let lambda = Self.template(authMode: "jwt").replacingOccurrences(
            of: "      DefinitionBody:\n",
            with: "      DefinitionBody:\n        components:\n          securitySchemes:\n"
                + "            JwtAuthorizer: {x-amazon-apigateway-authorizer: {type: request}}\n")
        #expect(lambda.contains("type: request"))
        do {
            _ = try TemplateLoader().parse(yaml: lambda)
            Issue.record("a request authorizer was accepted")
        } catch {
            #expect(error.message.contains("emulates JWT authorizers only"), "\(error.message)")
        }
        let undefined = Self.template(authMode: "jwt").replacingOccurrences(of: "!If [Both,", with: "!If [Nope,")
        do {
            _ = try TemplateLoader().parse(yaml: undefined)
            Issue.record("an undefined condition was accepted")
        } catch {
            #expect(error.message.contains("condition Nope is not defined"), "\(error.message)")
        }
    }
}
