import Crypto
import Foundation
import JWTKit

/// The runner's own issuer for development: an ES256 (P-256) key pair generated once into `<data-dir>/jwt/`
/// (the private key PEM mode 0600, reused on restart), its public key as a JWKS whose `kid` is the key's
/// RFC 7638 thumbprint, and tokens for `POST /dev/token`.
public struct DevelopmentIssuer: Sendable {
    /// Roles `/dev/token` issues, and the scope an operator's token carries.
    public enum Role: String, Sendable, Codable, CaseIterable {
        case driver
        case `operator`
    }

    /// The scope of operator tokens (what the functions look for).
    public static let operatorScope = "evcsm/operator"
    /// Default and largest token lifetimes, in seconds.
    public static let defaultLifetime: Int64 = 3600
    public static let maximumLifetime: Int64 = 86_400

    let privateKey: ES256PrivateKey
    /// The key id: the public key's JWK thumbprint.
    public let keyID: String
    /// The public JWKS document (`/.well-known/jwks.json`).
    public let jwks: [UInt8]
    /// The signer (jwt-kit), holding only the private key.
    let signers: JWTKeyCollection

    /// The key file inside `directory` (`<data-dir>/jwt`).
    static func keyFile(in directory: String) -> String { "\(directory)/dev-issuer-es256.pem" }

    /// Loads the key pair from `directory`, or generates it there (directory 0700, key file 0600) the first time.
    public static func load(directory: String) async throws(LocalRunnerError) -> DevelopmentIssuer {
        let path = keyFile(in: directory)
        let key: ES256PrivateKey
        do {
            if FileManager.default.fileExists(atPath: path) {
                key = try ES256PrivateKey(pem: try String(contentsOfFile: path, encoding: .utf8))
            } else {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                key = ES256PrivateKey()
                guard
                    FileManager.default.createFile(
                        atPath: path, contents: Data(key.pemRepresentation.utf8),
                        attributes: [.posixPermissions: 0o600])
                else { throw LocalRunnerError(.io, "cannot write \(path)") }
            }
        } catch let error as LocalRunnerError {
            throw error
        } catch {
            throw LocalRunnerError(.io, "development issuer key \(path): \(error)", underlying: error)
        }
        guard let (x, y) = key.parameters else {
            throw LocalRunnerError(.io, "development issuer key \(path) has no public parameters")
        }
        // RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
        let canonical = #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        let keyID = Base64URL.encode(SHA256.hash(data: Data(canonical.utf8)))
        let jwk = PublicJWK(kty: "EC", crv: "P-256", x: x, y: y, kid: keyID, alg: "ES256", use: "sig")
        let jwks: [UInt8]
        do {
            jwks = Array(try RunnerJSON.encoder.encode(PublicJWKS(keys: [jwk])))
        } catch {
            throw LocalRunnerError(.io, "cannot encode the development JWKS: \(error)")
        }
        let signers = JWTKeyCollection()
        await signers.add(ecdsa: key, kid: JWKIdentifier(string: keyID))
        return DevelopmentIssuer(privateKey: key, keyID: keyID, jwks: jwks, signers: signers)
    }

    /// A signed token for `subject` with `role`, issued by `issuer` for `audience`, valid `lifetime` seconds
    /// from `now` (seconds since the epoch).
    public func token(
        subject: String, role: Role, issuer: String, audience: String, lifetime: Int64 = defaultLifetime,
        now: Int64
    ) async throws(LocalRunnerError) -> String {
        let claims = DevelopmentClaims(
            iss: issuer, sub: subject, aud: audience, iat: now, nbf: now, exp: now + lifetime,
            jti: UUID().uuidString.lowercased(), scope: role == .operator ? Self.operatorScope : nil)
        do {
            return try await signers.sign(claims, kid: JWKIdentifier(string: keyID))
        } catch {
            throw LocalRunnerError(.io, "cannot sign a development token: \(error)")
        }
    }

    struct PublicJWK: Codable {
        var kty, crv, x, y, kid, alg, use: String
    }

    struct PublicJWKS: Codable {
        var keys: [PublicJWK]
    }
}

/// What a development token says. Checked by ``JWTVerifier``, not by jwt-kit's payload hook.
struct DevelopmentClaims: JWTPayload {
    var iss, sub, aud: String
    var iat, nbf, exp: Int64
    var jti: String
    var scope: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
