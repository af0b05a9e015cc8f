import Foundation
import JWTKit

/// An issuer's signing keys, parsed once from its JWKS (jwt-kit's `JWKS` and `JWTKeyCollection` do the JWK
/// import): each usable key by `kid` with the one algorithm it verifies. Requests verify against this value
/// without parsing or awaiting anything.
public struct JWTKeySet: Sendable {
    /// One verification key.
    struct Key: Sendable {
        /// `RS256` or `ES256`: the only algorithm this key verifies (a token's `alg` must say the same).
        let algorithm: String
        let verifier: any JWTAlgorithm
    }

    /// The algorithms accepted, as API Gateway's JWT authorizer accepts them. `none` and `HS*` never are.
    public static let acceptedAlgorithms: Set<String> = ["RS256", "ES256"]

    let keys: [String: Key]

    /// The key ids, for logs and tests.
    public var keyIDs: [String] { keys.keys.sorted() }

    init(keys: [String: Key]) { self.keys = keys }

    /// Parses a JWKS document. Keys without a `kid`, encryption keys (`use: enc`), and keys that are not RSA or
    /// EC P-256 (or that name another algorithm) are left out; a document with no usable key is an error.
    public static func parse(jwks bytes: [UInt8], source: String) async throws(LocalRunnerError) -> JWTKeySet {
        let document: JWKS
        let uses: [String?]
        do {
            document = try RunnerJSON.decoder.decode(JWKS.self, from: Data(bytes))
            uses = try RunnerJSON.decoder.decode(KeyUses.self, from: Data(bytes)).keys.map(\.use)
        } catch {
            throw LocalRunnerError(.configuration, "JWKS from \(source) is not a JSON Web Key Set: \(error)")
        }
        let collection = JWTKeyCollection()
        var keys: [String: Key] = [:]
        for (index, jwk) in document.keys.enumerated() {
            guard let kid = jwk.keyIdentifier?.string, index < uses.count, uses[index] != "enc",
                let algorithm = algorithm(of: jwk)
            else { continue }
            do {
                try await collection.add(jwk: jwk)
                let verifier = try await collection.getKey(for: JWKIdentifier(string: kid), alg: algorithm)
                guard verifier.name == algorithm else { continue }
                keys[kid] = Key(algorithm: algorithm, verifier: verifier)
            } catch {
                continue
            }
        }
        guard !keys.isEmpty else {
            throw LocalRunnerError(.configuration, "JWKS from \(source) has no RS256 or ES256 signing key with a kid")
        }
        return JWTKeySet(keys: keys)
    }

    /// The algorithm a JWK verifies: its `alg`, else what its type implies (RSA → RS256, EC P-256 → ES256).
    static func algorithm(of jwk: JWK) -> String? {
        let named = jwk.algorithm?.rawValue
        switch jwk.keyType {
        case .rsa:
            return named == nil || named == "RS256" ? "RS256" : nil
        case .ecdsa:
            guard jwk.curve == .ecdsa(.p256) else { return nil }
            return named == nil || named == "ES256" ? "ES256" : nil
        default:
            return nil
        }
    }

    /// The `use` member of each key (jwt-kit's JWK does not keep it).
    struct KeyUses: Decodable {
        struct Use: Decodable { var use: String? }
        var keys: [Use]
    }
}

/// Base64url without padding (RFC 7515 §2), as JWS uses it.
enum Base64URL {
    /// The bytes, or nil when `text` is not base64url.
    static func decode(_ text: Substring) -> [UInt8]? {
        guard text.utf8.allSatisfy({ isAlphabet($0) }) else { return nil }
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        switch standard.utf8.count % 4 {
        case 2: standard += "=="
        case 3: standard += "="
        case 1: return nil
        default: break
        }
        return Data(base64Encoded: standard).map { [UInt8]($0) }
    }

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }
}
