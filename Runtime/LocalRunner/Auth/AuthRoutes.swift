import Foundation
import Hummingbird

/// The open routes around the JWT authorizer: `GET /auth/config` (what the web page signs in with) and, while
/// the development issuer is active, `GET /.well-known/jwks.json`, `GET /.well-known/openid-configuration` and
/// `POST /dev/token` (loopback callers only).
struct AuthRoutes: Sendable {
    let authorizer: JWTAuthorizer

    /// `POST /dev/token`'s body.
    struct TokenRequest: Decodable {
        var sub: String?
        var role: String?
        var ttl: Int64?
    }

    struct TokenResponse: Encodable {
        var token: String
        var expiresIn: Int64
    }

    struct Discovery: Encodable {
        var issuer: String
        // swift-format-ignore: AlwaysUseLowerCamelCase
        var jwks_uri: String
        // swift-format-ignore: AlwaysUseLowerCamelCase
        var token_endpoint: String
        // swift-format-ignore: AlwaysUseLowerCamelCase
        var id_token_signing_alg_values_supported: [String]
        // swift-format-ignore: AlwaysUseLowerCamelCase
        var subject_types_supported: [String]
        // swift-format-ignore: AlwaysUseLowerCamelCase
        var response_types_supported: [String]
    }

    struct Message: Encodable { var message: String }

    /// Largest `/dev/token` body read.
    static let maximumBody = 4096

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/auth/config") { _, _ -> Response in Self.json(authorizer.clientConfiguration) }
        router.get("/.well-known/jwks.json") { _, _ -> Response in
            guard let development = authorizer.developmentIssuer else { throw HTTPError(.notFound) }
            return Self.response(.ok, body: development.jwks)
        }
        router.get("/.well-known/openid-configuration") { _, _ -> Response in
            guard authorizer.developmentIssuer != nil, let issuer = authorizer.issuer else {
                throw HTTPError(.notFound)
            }
            return Self.json(
                Discovery(
                    issuer: issuer, jwks_uri: "\(issuer)/.well-known/jwks.json", token_endpoint: "\(issuer)/dev/token",
                    id_token_signing_alg_values_supported: ["ES256"], subject_types_supported: ["public"],
                    response_types_supported: ["token"]))
        }
        router.post("/dev/token") { request, _ -> Response in try await issue(request) }
    }

    /// `POST /dev/token {"sub", "role": "driver"|"operator", "ttl"?}` → `200 {"token", "expiresIn"}`.
    func issue(_ request: Request) async throws -> Response {
        guard let development = authorizer.developmentIssuer, let issuer = authorizer.issuer else {
            throw HTTPError(.notFound)
        }
        guard PeerAddress.isLoopback else {
            return Self.json(Message(message: "/dev/token answers loopback callers only"), status: .forbidden)
        }
        guard let body = try? await request.body.collect(upTo: Self.maximumBody),
            let asked = try? RunnerJSON.decoder.decode(TokenRequest.self, from: Data(buffer: body))
        else {
            return Self.badRequest(#"the body must be JSON {"sub": "...", "role": "driver"|"operator", "ttl"?: s}"#)
        }
        guard let subject = asked.sub, !subject.isEmpty, subject.count <= 128,
            subject.allSatisfy({ !$0.isWhitespace && !$0.isNewline })
        else { return Self.badRequest("sub must be a non-empty user id (at most 128 characters, no spaces)") }
        guard let role = DevelopmentIssuer.Role(rawValue: asked.role ?? "driver") else {
            return Self.badRequest("role must be driver or operator")
        }
        let lifetime = asked.ttl ?? DevelopmentIssuer.defaultLifetime
        guard (1...DevelopmentIssuer.maximumLifetime).contains(lifetime) else {
            return Self.badRequest("ttl must be 1 to \(DevelopmentIssuer.maximumLifetime) seconds")
        }
        let token = try await development.token(
            subject: subject, role: role, issuer: issuer, audience: authorizer.settings.requiredAudience,
            lifetime: lifetime, now: Int64(Date().timeIntervalSince1970))
        return Self.json(TokenResponse(token: token, expiresIn: lifetime))
    }

    static func badRequest(_ message: String) -> Response { json(Message(message: message), status: .badRequest) }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        response(status, body: (try? RunnerJSON.encoder.encode(value)).map { [UInt8]($0) } ?? [])
    }

    static func response(_ status: HTTPResponse.Status, body: [UInt8]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
