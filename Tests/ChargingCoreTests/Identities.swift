import ChargingCore
import Foundation
import FunctionRuntime
import Testing

/// Who sends a test request: the `requestContext.authorizer` of a real HTTP API v2 event under
/// `Tests/Fixtures/http/auth/` (a driver's development token, an operator's scope, a Cognito ID token whose
/// `cognito:groups` holds `evcsm/operator`), or no authorizer at all.
enum Identity: String, CaseIterable {
    /// `sub` alice, no scope (`scopes: null`).
    case driver
    /// `sub` olga, `scopes: ["evcsm/operator"]`.
    case `operator`
    /// `sub` 8f2d4c6a-…, `cognito:groups` `[admins evcsm/operator]`.
    case cognitoOperator = "cognito-operator"
    /// No `authorizer` in the event (an unprotected route, or a function invoked directly).
    case anonymous

    static let driverSub = "alice"
    static let operatorSub = "olga"
    static let cognitoSub = "8f2d4c6a-1b3e-4f5a-9c7d-2e4f6a8b0c1d"

    /// The authorizer of this identity's fixture (`http/auth/status-<identity>.json`).
    var authorizer: APIGatewayV2Request.Context.Authorizer? {
        get throws {
            guard self != .anonymous else { return nil }
            return try Fixture.request("auth/status-\(rawValue)").requestContext.authorizer
        }
    }
}

extension Fixture {
    /// The HTTP event `http/<name>.json` as `identity` sends it, optionally with another body or query.
    static func request(
        _ name: String, as identity: Identity, body: String? = nil, query: [String: String]? = nil
    ) throws -> APIGatewayV2Request {
        var request = try query.map { try Fixture.request(name, query: $0) } ?? Fixture.request(name, body: body)
        request.requestContext.authorizer = try identity.authorizer
        return request
    }
}

extension Harness {
    /// Runs the handler `make` builds from this harness's dependencies on `http/<fixture>.json` sent by `identity`.
    func respond<Handler: HTTPFunction>(
        _ make: (FunctionDependencies) -> Handler, _ fixture: String, as identity: Identity, body: String? = nil,
        query: [String: String]? = nil
    ) async throws -> APIGatewayV2Response {
        try await respond(make(dependencies), Fixture.request(fixture, as: identity, body: body, query: query))
    }

    /// A harness under `AUTH_MODE=jwt`, the default of the deployed functions.
    static func jwt(_ sessions: [ChargingSession] = []) -> Harness {
        var harness = Harness(sessions)
        harness.authMode = .jwt
        return harness
    }
}

/// The `error` and `message` of an error envelope (the timestamp differs between answers).
struct Envelope: Equatable {
    let error: String
    let message: String
}

/// A response's error envelope `{error, message, timestamp}`: exactly these three keys.
func envelope(_ response: APIGatewayV2Response) throws -> Envelope {
    let body = try json(response)
    #expect(Set(body.keys) == ["error", "message", "timestamp"], "\(response.body)")
    return Envelope(error: try #require(body["error"] as? String), message: try #require(body["message"] as? String))
}
