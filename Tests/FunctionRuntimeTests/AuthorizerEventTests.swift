import Foundation
import FunctionRuntime
import Testing

/// `requestContext.authorizer.jwt` as API Gateway's JWT authorizer writes it: read directly and by the decoder
/// alike, and written back byte for byte as the encoder would.
@Suite("API Gateway event with JWT authorizer claims")
struct AuthorizerEventTests {
    @Test(
        "a JWT authorizer event reads to its claims and scopes and writes back as the encoder does",
        arguments: ["events/apigw-v2-jwt-operator.json", "events/apigw-v2-jwt-driver.json"])
    func roundTrip(path: String) throws {
        let input = try fixture(path)
        let read = try #require(APIGatewayV2Request(jsonBytes: input))
        #expect(read == (try JSONDecoder().decode(APIGatewayV2Request.self, from: Data(input))))
        let jwt = try #require(read.requestContext.authorizer?.jwt)
        #expect(jwt.claims["sub"] != nil)
        #expect(jwt.claims["exp"].flatMap { Int($0) } != nil)
        let written = read.jsonBytes()
        #expect(written == Array(try JSONCoding.encoder.encode(read)))
        #expect(APIGatewayV2Request(jsonBytes: written) == read)
    }

    @Test("claims stay strings, scopes are the split scope claim, and no scopes is nil")
    func claimForms() throws {
        let operatorEvent = try #require(
            APIGatewayV2Request(jsonBytes: try fixture("events/apigw-v2-jwt-operator.json")))
        let jwt = try #require(operatorEvent.requestContext.authorizer?.jwt)
        #expect(jwt.claims["cognito:groups"] == "[evcsm/operator admins]")
        #expect(jwt.scopes == ["evcsm/operator", "openid"])
        let driver = try #require(APIGatewayV2Request(jsonBytes: try fixture("events/apigw-v2-jwt-driver.json")))
        #expect(driver.requestContext.authorizer?.jwt?.claims["sub"] == "alice")
        #expect(driver.requestContext.authorizer?.jwt?.scopes == nil)
    }

    @Test("`authorizer` sorts before `domainName`, and an event without it writes none")
    func keyOrder() throws {
        let context = APIGatewayV2Request.Context(
            apiId: "evcsm-local",
            authorizer: .init(jwt: .init(claims: ["sub": "bob", "exp": "1795695602"], scopes: ["evcsm/operator"])),
            domainName: "127.0.0.1:5274", http: .init(method: "GET", path: "/"), requestId: "r")
        let text = String(
            decoding: APIGatewayV2Request(routeKey: "GET /", rawPath: "/", requestContext: context).jsonBytes(),
            as: UTF8.self)
        #expect(
            text.contains(
                #""apiId":"evcsm-local","authorizer":{"jwt":{"claims":{"exp":"1795695602","sub":"bob"},"scopes":["evcsm/operator"]}},"domainName""#
            ))
        var open = context
        open.authorizer = nil
        let plain = String(
            decoding: APIGatewayV2Request(routeKey: "GET /", rawPath: "/", requestContext: open).jsonBytes(),
            as: UTF8.self)
        #expect(!plain.contains("authorizer"))
    }

    @Test(
        "authorizer shapes the reader does not vouch for are left to the decoder",
        arguments: [
            #"{"requestContext":{"authorizer":{"jwt":{"scopes":[]}},"http":{"method":"GET","path":"/"},"requestId":"r"}}"#,
            #"{"requestContext":{"authorizer":{"jwt":{"claims":{"exp":1}}},"http":{"method":"GET","path":"/"},"requestId":"r"}}"#,
            #"{"requestContext":{"authorizer":{"jwt":{"claims":null}},"http":{"method":"GET","path":"/"},"requestId":"r"}}"#,
        ])
    func unsure(input: String) {
        #expect(APIGatewayV2Request(jsonBytes: Array(input.utf8)) == nil)
    }

    @Test("other authorizers (Lambda, IAM) read as no JWT, as the decoder reads them")
    func otherAuthorizers() throws {
        let input = Array(
            #"{"requestContext":{"authorizer":{"lambda":{"user":"x"}},"http":{"method":"GET","path":"/"},"requestId":"r"}}"#
                .utf8)
        let read = try #require(APIGatewayV2Request(jsonBytes: input))
        #expect(read == (try JSONDecoder().decode(APIGatewayV2Request.self, from: Data(input))))
        #expect(read.requestContext.authorizer == .init(jwt: nil))
    }
}
