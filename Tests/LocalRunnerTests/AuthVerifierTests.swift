import Foundation
import JWTKit
import Testing

@testable import LocalRunner

/// The JWT authorizer's checks, as API Gateway's: tokens signed by test keys, every way to get one wrong.
@Suite("JWT verifier")
struct AuthVerifierTests {
    static let now = Int64(Date().timeIntervalSince1970)

    func denial(_ verifier: JWTVerifier, _ token: String, now: Int64 = now) -> AuthorizerDenial? {
        do {
            _ = try verifier.verify(token[...], now: now)
            return nil
        } catch {
            return error
        }
    }

    @Test("RS256 and ES256 tokens from a JWKS verify, and their claims reach the event as strings")
    func accepted() async throws {
        for issuer in [try await AuthTestIssuer.rs256(), try await AuthTestIssuer.es256()] {
            var claims = AuthTestIssuer.claims(now: Self.now)
            claims["scope"] = "evcsm/operator openid"
            claims["cognito:groups"] = ["evcsm/operator", "admins"]
            claims["email_verified"] = true
            let token = try issuer.token(claims)
            let verified = try (try await issuer.verifier()).verify(token[...], now: Self.now)
            #expect(verified.subject == "alice")
            #expect(verified.claims["exp"] == String(Self.now + 3600))
            #expect(verified.claims["cognito:groups"] == "[evcsm/operator admins]")
            #expect(verified.claims["email_verified"] == "true")
            #expect(verified.scopes == ["evcsm/operator", "openid"])
            #expect(verified.isOperator)
        }
    }

    @Test("no scope claim is nil scopes; an audience list and a Cognito client_id are accepted")
    func audienceForms() async throws {
        let issuer = try await AuthTestIssuer.es256()
        let verifier = try await issuer.verifier()
        var claims = AuthTestIssuer.claims(now: Self.now)
        claims["aud"] = ["other", AuthTestIssuer.audience]
        let listed = try verifier.verify(try issuer.token(claims)[...], now: Self.now)
        #expect(listed.scopes == nil)
        #expect(!listed.isOperator)
        claims["aud"] = nil
        claims["client_id"] = AuthTestIssuer.audience
        #expect(denial(verifier, try issuer.token(claims)) == nil)
    }

    @Test("the Authorization header: missing, not Bearer, or empty")
    func header() throws {
        #expect(throws: AuthorizerDenial.missingToken) { try JWTVerifier.token(fromAuthorization: nil) }
        #expect(throws: AuthorizerDenial.missingToken) { try JWTVerifier.token(fromAuthorization: "") }
        #expect(throws: AuthorizerDenial.malformed) { try JWTVerifier.token(fromAuthorization: "Basic dXNlcjpwdw==") }
        #expect(throws: AuthorizerDenial.malformed) { try JWTVerifier.token(fromAuthorization: "Bearer ") }
        #expect(throws: AuthorizerDenial.malformed) { try JWTVerifier.token(fromAuthorization: "Bearer a b") }
        #expect(try JWTVerifier.token(fromAuthorization: "bearer a.b.c") == "a.b.c")
        #expect(try JWTVerifier.token(fromAuthorization: "a.b.c") == "a.b.c")
    }

    @Test("expired, not yet valid, wrong audience, wrong issuer, malformed: each refused with its reason")
    func claims() async throws {
        let issuer = try await AuthTestIssuer.rs256()
        let verifier = try await issuer.verifier()
        func with(_ change: (inout [String: Any]) -> Void) throws -> String {
            var claims = AuthTestIssuer.claims(now: Self.now)
            change(&claims)
            return try issuer.token(claims)
        }
        #expect(denial(verifier, try with { $0["exp"] = Self.now - 61 }) == .expired)
        #expect(denial(verifier, try with { $0["exp"] = Self.now - 30 }) == nil, "within the 60 s leeway")
        #expect(denial(verifier, try with { $0["exp"] = nil }) == .expired)
        #expect(denial(verifier, try with { $0["exp"] = "tomorrow" }) == .expired)
        #expect(denial(verifier, try with { $0["nbf"] = Self.now + 600 }) == .notYetValid)
        #expect(denial(verifier, try with { $0["iat"] = Self.now + 600 }) == .notYetValid)
        #expect(denial(verifier, try with { $0["aud"] = "someone-else" }) == .audience)
        #expect(denial(verifier, try with { $0["aud"] = nil }) == .audience)
        #expect(denial(verifier, try with { $0["iss"] = "https://evil.test" }) == .issuer)
        #expect(denial(verifier, try with { $0["iss"] = nil }) == .issuer)
        #expect(denial(verifier, "not-a-jwt") == .malformed)
        #expect(denial(verifier, "a.b") == .malformed)
        #expect(denial(verifier, "e30.e30.e30") == .algorithm)
    }

    @Test("a wrong signature, an unknown kid, alg none and HS256 keyed with the public key are refused")
    func forgeries() async throws {
        let issuer = try await AuthTestIssuer.rs256()
        let verifier = try await issuer.verifier()
        let other = try await AuthTestIssuer.es256(kid: issuer.kid)  // same kid, another key
        let valid = try issuer.token()
        let parts = valid.split(separator: ".")
        let tampered = try issuer.token(AuthTestIssuer.claims(sub: "mallory", now: Self.now))
        #expect(denial(verifier, "\(parts[0]).\(tampered.split(separator: ".")[1]).\(parts[2])") == .signature)
        #expect(denial(verifier, try other.token(header: ["alg": "RS256", "kid": issuer.kid])) == .signature)
        #expect(denial(verifier, try other.token()) == .algorithm, "ES256 header on an RS256 key")
        #expect(denial(verifier, try issuer.token(header: ["alg": "RS256", "kid": "rotated-away"])) == .unknownKey)
        #expect(denial(verifier, try issuer.token(header: ["alg": "RS256"])) == .unknownKey)
        let none = try issuer.unsignedToken(header: ["alg": "none", "kid": issuer.kid])
        #expect(denial(verifier, none) == .algorithm)
        // HS256 with the JWKS bytes (the "public key") as the HMAC secret: the classic key-confusion forgery.
        let hmac = JWTKeyCollection()
        await hmac.add(
            hmac: HMACKey(from: issuer.jwks), digestAlgorithm: .sha256, kid: JWKIdentifier(string: issuer.kid))
        let forged = try await hmac.sign(
            ForgedClaims(iss: AuthTestIssuer.issuer, aud: AuthTestIssuer.audience, sub: "mallory", exp: Self.now + 600),
            kid: JWKIdentifier(string: issuer.kid))
        #expect(denial(verifier, forged) == .algorithm)
    }

    @Test("a JWKS file with RS256 and ES256 keys: each verifies its own tokens; unusable keys are left out")
    func jwksFile() async throws {
        let rsa = try await AuthTestIssuer.rs256()
        let ec = try await AuthTestIssuer.es256()
        func keys(_ document: [UInt8]) throws -> [[String: Any]] {
            try #require(
                (try JSONSerialization.jsonObject(with: Data(document)) as? [String: Any])?["keys"] as? [[String: Any]])
        }
        let encryption: [String: Any] = ["kty": "RSA", "kid": "enc-1", "use": "enc", "n": "AQAB", "e": "AQAB"]
        let noKid = (try keys(ec.jwks))[0].filter { $0.key != "kid" }
        let combined = try JSONSerialization.data(
            withJSONObject: ["keys": try keys(rsa.jwks) + keys(ec.jwks) + [encryption, noKid]])
        let path = "\(try TestEnvironment.temporaryDirectory())/jwks.json"
        try combined.write(to: URL(fileURLWithPath: path))
        let authorizer = JWTAuthorizer(settings: Self.external(jwksFile: path), metrics: RunnerMetrics())
        try await authorizer.prepare(dataDirectory: try TestEnvironment.temporaryDirectory())
        for issuer in [rsa, ec] {
            let result = await authorizer.authorize("Bearer \(try issuer.token())", requestID: "r")
            #expect((try? result.get())?.subject == "alice", "\(issuer.algorithm): \(result)")
        }
        let missing = await authorizer.authorize(nil, requestID: "r")
        #expect(missing == .failure(.missingToken))
        let metrics = authorizer.metrics.prometheusText()
        #expect(metrics.contains(#"evcsm_authorizer_denied_total{reason="missing_token"} 1"#), "\(metrics)")
    }

    @Test("a JWKS with no usable key, or a missing file, stops the runner from starting with a clear error")
    func unusableKeys() async throws {
        await #expect(throws: LocalRunnerError.self) {
            _ = try await JWTKeySet.parse(
                jwks: Array(#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]}"#.utf8), source: "t")
        }
        let authorizer = JWTAuthorizer(
            settings: Self.external(jwksFile: "/nonexistent/jwks.json"), metrics: RunnerMetrics())
        await #expect(throws: LocalRunnerError.self) {
            try await authorizer.prepare(dataDirectory: try TestEnvironment.temporaryDirectory())
        }
    }

    static func external(jwksFile: String) -> AuthSettings {
        var settings = AuthSettings()
        settings.issuer = AuthTestIssuer.issuer
        settings.audience = AuthTestIssuer.audience
        settings.jwksFile = jwksFile
        return settings
    }

    struct ForgedClaims: JWTPayload {
        var iss, aud, sub: String
        var exp: Int64
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }
}
