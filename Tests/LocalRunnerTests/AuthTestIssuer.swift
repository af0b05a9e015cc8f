import Foundation
import JWTKit
import Testing

@testable import LocalRunner

/// A token issuer for tests: an RS256 key (a fixed test key from Tests/Fixtures/jwt) or a fresh ES256 key, its
/// JWKS, and tokens with any header and claims (`alg: none`, HS256, a foreign `kid`, …).
struct AuthTestIssuer: Sendable {
    static let issuer = "https://issuer.test/realms/evcsm"
    static let audience = "evcsm-api"

    let algorithm: String
    let kid: String
    let signer: any JWTAlgorithm
    /// The public JWKS document.
    let jwks: [UInt8]

    static func rs256(kid: String = "rsa-1") async throws -> AuthTestIssuer {
        let pem = try String(
            contentsOfFile: "\(TestEnvironment.root)/Tests/Fixtures/jwt/test-rs256-private.pem", encoding: .utf8)
        let key = try Insecure.RSA.PrivateKey(pem: pem)
        let (modulus, exponent) = try key.publicKey.getKeyPrimitives()
        let jwk: [String: String] = [
            "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": Base64URL.encode(modulus),
            "e": Base64URL.encode(exponent),
        ]
        let collection = JWTKeyCollection()
        await collection.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        let signer = try await collection.getKey(for: JWKIdentifier(string: kid))
        return AuthTestIssuer(
            algorithm: "RS256", kid: kid, signer: signer,
            jwks: Array(try JSONSerialization.data(withJSONObject: ["keys": [jwk]])))
    }

    static func es256(kid: String = "ec-1") async throws -> AuthTestIssuer {
        let key = ES256PrivateKey()
        let (x, y) = try #require(key.parameters)
        let jwk = ["kty": "EC", "crv": "P-256", "kid": kid, "x": x, "y": y]  // no alg: implied by the curve
        let collection = JWTKeyCollection()
        await collection.add(ecdsa: key, kid: JWKIdentifier(string: kid))
        let signer = try await collection.getKey(for: JWKIdentifier(string: kid))
        return AuthTestIssuer(
            algorithm: "ES256", kid: kid, signer: signer,
            jwks: Array(try JSONSerialization.data(withJSONObject: ["keys": [jwk]])))
    }

    /// The development issuer of a runner's data dir: its private key (`jwt/dev-issuer-es256.pem`) and kid.
    static func development(dataDirectory: String) async throws -> AuthTestIssuer {
        let key = try ES256PrivateKey(
            pem: try String(contentsOfFile: "\(dataDirectory)/jwt/dev-issuer-es256.pem", encoding: .utf8))
        let issuer = try await DevelopmentIssuer.load(directory: "\(dataDirectory)/jwt")
        let collection = JWTKeyCollection()
        await collection.add(ecdsa: key, kid: JWKIdentifier(string: issuer.keyID))
        let signer = try await collection.getKey(for: JWKIdentifier(string: issuer.keyID))
        return AuthTestIssuer(algorithm: "ES256", kid: issuer.keyID, signer: signer, jwks: issuer.jwks)
    }

    /// Claims valid for an hour from now.
    static func claims(sub: String = "alice", now: Int64 = Int64(Date().timeIntervalSince1970)) -> [String: Any] {
        ["iss": issuer, "aud": audience, "sub": sub, "iat": now, "nbf": now, "exp": now + 3600]
    }

    /// A compact JWS of `claims` signed with this issuer's key under `header` (default: its alg and kid).
    func token(_ claims: [String: Any] = claims(), header: [String: Any]? = nil) throws -> String {
        let head = try JSONSerialization.data(withJSONObject: header ?? ["alg": algorithm, "kid": kid, "typ": "JWT"])
        let body = try JSONSerialization.data(withJSONObject: claims)
        let input = "\(Base64URL.encode(head)).\(Base64URL.encode(body))"
        return "\(input).\(Base64URL.encode(try signer.sign(Array(input.utf8))))"
    }

    /// A token with this header and claims and an arbitrary signature (`alg: none` has an empty one).
    func unsignedToken(
        _ claims: [String: Any] = claims(), header: [String: Any], signature: [UInt8] = []
    ) throws
        -> String
    {
        let head = try JSONSerialization.data(withJSONObject: header)
        let body = try JSONSerialization.data(withJSONObject: claims)
        return "\(Base64URL.encode(head)).\(Base64URL.encode(body)).\(Base64URL.encode(signature))"
    }

    func verifier() async throws -> JWTVerifier {
        JWTVerifier(
            keys: try await JWTKeySet.parse(jwks: jwks, source: "test"), issuer: Self.issuer,
            audiences: [Self.audience])
    }
}
