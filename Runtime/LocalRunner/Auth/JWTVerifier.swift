import Foundation
import FunctionRuntime

/// Why the JWT authorizer refused a request: the `reason` label of `evcsm_authorizer_denied_total` and what the
/// runner logs (at debug). Callers only ever see API Gateway's `401 {"message":"Unauthorized"}`.
public enum AuthorizerDenial: String, Error, Sendable, CaseIterable {
    /// No `Authorization` header.
    case missingToken = "missing_token"
    /// The header is not `Bearer <three base64url parts>`, or a part does not decode to what it must.
    case malformed
    /// `alg` is not RS256/ES256 (`none`, `HS256`, …) or not the algorithm of the key its `kid` names.
    case algorithm
    /// No `kid`, or one the issuer's JWKS does not have (after at most one re-fetch a minute).
    case unknownKey = "unknown_kid"
    case signature
    /// `exp` missing or passed (beyond the leeway).
    case expired
    /// `nbf` or `iat` in the future (beyond the leeway).
    case notYetValid = "not_yet_valid"
    case issuer
    case audience
}

/// A token the authorizer accepted: what goes into `requestContext.authorizer.jwt`.
public struct VerifiedToken: Sendable, Equatable {
    /// Every claim in API Gateway's string form (see ``JWTClaimText``).
    public var claims: [String: String]
    /// `scope` (or `scp`) split on spaces; nil when the token has none.
    public var scopes: [String]?
    public var subject: String? { claims["sub"] }

    /// The event's `authorizer` member.
    public var authorizer: APIGatewayV2Request.Context.Authorizer {
        .init(jwt: .init(claims: claims, scopes: scopes))
    }
}

/// Checks a bearer token as API Gateway's HTTP API JWT authorizer does: a JWS with a known `kid` and an accepted
/// algorithm, a valid signature, then `iss`, `aud` (or `client_id`), `exp`, `nbf` and `iat`. Pure and
/// synchronous: the keys are parsed already.
public struct JWTVerifier: Sendable {
    public var keys: JWTKeySet
    public var issuer: String
    public var audiences: Set<String>
    public var leeway: Int64

    public init(keys: JWTKeySet, issuer: String, audiences: Set<String>, leeway: Int64 = AuthSettings.leeway) {
        self.keys = keys
        self.issuer = issuer
        self.audiences = audiences
        self.leeway = leeway
    }

    /// The token in an `Authorization` header value: `Bearer <jwt>` (scheme in any case), or the bare JWT, which
    /// API Gateway also takes.
    public static func token(fromAuthorization header: String?) throws(AuthorizerDenial) -> Substring {
        guard let header, !header.isEmpty else { throw .missingToken }
        var token = header[...]
        if let space = header.firstIndex(of: " ") {
            guard header[..<space].lowercased() == "bearer" else { throw .malformed }
            token = header[header.index(after: space)...].drop(while: { $0 == " " })
        }
        guard !token.isEmpty, !token.utf8.contains(UInt8(ascii: " ")) else { throw .malformed }
        return token
    }

    /// The time window a token is valid in: its `exp`, `nbf` and `iat` (NumericDates, in seconds) and the leeway
    /// it was verified with. A claim present but not a number is `Int64.max` for `nbf`/`iat` (never valid).
    struct Validity: Sendable, Equatable {
        var expires: Int64?
        var notBefore: Int64?
        var issuedAt: Int64?
        var leeway: Int64

        init(_ payload: [String: JSONValue], leeway: Int64) {
            expires = JWTVerifier.seconds(payload["exp"])
            notBefore = payload["nbf"].map { JWTVerifier.seconds($0) ?? .max }
            issuedAt = payload["iat"].map { JWTVerifier.seconds($0) ?? .max }
            self.leeway = leeway
        }

        /// `exp` (which must be there), then `nbf` and `iat` at `now`, as API Gateway checks them.
        func check(now: Int64) throws(AuthorizerDenial) {
            guard let expires, now - leeway < expires else { throw .expired }  // no overflow for a huge `exp`
            if let notBefore { guard notBefore <= now + leeway else { throw .notYetValid } }
            if let issuedAt { guard issuedAt <= now + leeway else { throw .notYetValid } }
        }
    }

    /// Verifies `token` at `now` (seconds since the epoch).
    public func verify(_ token: Substring, now: Int64) throws(AuthorizerDenial) -> VerifiedToken {
        try verifyWithValidity(token, now: now).token
    }

    /// ``verify(_:now:)`` with the token's validity window, for a cache to check again later.
    func verifyWithValidity(
        _ token: Substring, now: Int64
    ) throws(AuthorizerDenial) -> (token: VerifiedToken, validity: Validity) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
            let header = try? RunnerJSON.decoder.decode(Header.self, from: Data(headerBytes))
        else { throw .malformed }
        guard let algorithm = header.alg, JWTKeySet.acceptedAlgorithms.contains(algorithm) else { throw .algorithm }
        guard let kid = header.kid, let key = keys.keys[kid] else { throw .unknownKey }
        guard key.algorithm == algorithm else { throw .algorithm }
        guard let signature = Base64URL.decode(parts[2]), !signature.isEmpty else { throw .malformed }
        let signingInput = token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count)
        guard (try? key.verifier.verify(signature, signs: Array(signingInput))) == true else { throw .signature }
        guard let payloadBytes = Base64URL.decode(parts[1]), case .object(let payload) = JSONValue.parse(payloadBytes)
        else { throw .malformed }
        let validity = try check(payload, now: now)
        return (VerifiedToken(claims: JWTClaimText.claims(payload), scopes: JWTClaimText.scopes(payload)), validity)
    }

    /// The registered claims API Gateway checks; the token's validity window when they pass.
    @discardableResult
    func check(_ payload: [String: JSONValue], now: Int64) throws(AuthorizerDenial) -> Validity {
        guard case .string(let iss)? = payload["iss"], iss == issuer else { throw .issuer }
        let audience: [String]
        switch payload["aud"] {
        case .string(let one)?: audience = [one]
        case .array(let many)?: audience = many.compactMap { if case .string(let s) = $0 { s } else { nil } }
        case nil:
            // Cognito access tokens have no `aud`: API Gateway checks `client_id` then.
            if case .string(let client)? = payload["client_id"] { audience = [client] } else { audience = [] }
        default: audience = []
        }
        guard audience.contains(where: audiences.contains) else { throw .audience }
        let validity = Validity(payload, leeway: leeway)
        try validity.check(now: now)
        return validity
    }

    /// A NumericDate claim in whole seconds.
    static func seconds(_ value: JSONValue?) -> Int64? {
        switch value {
        case .integer(let n)?: return n
        case .number(let d)? where d.isFinite && abs(d) < 9e15: return Int64(d.rounded(.down))
        default: return nil
        }
    }

    struct Header: Decodable {
        var alg: String?
        var kid: String?
    }
}

/// Claims as API Gateway hands them to the function: every value a string — strings as they are, numbers as
/// their text, booleans `true`/`false`, arrays as `[a b]` (space-separated, as `cognito:groups` arrives);
/// nested objects as their JSON text (API Gateway's own rendering of those is not documented). Null claims
/// are left out.
enum JWTClaimText {
    static func claims(_ payload: [String: JSONValue]) -> [String: String] {
        var claims: [String: String] = [:]
        for (name, value) in payload { if let text = text(value) { claims[name] = text } }
        return claims
    }

    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .null: return nil
        case .bool(let b): return b ? "true" : "false"
        case .integer(let n): return String(n)
        case .unsigned(let n): return String(n)
        case .number(let d): return d == d.rounded() && abs(d) < 9e15 ? String(Int64(d)) : String(d)
        case .string(let s): return s
        case .array(let items): return "[" + items.compactMap(text).joined(separator: " ") + "]"
        case .object: return String(decoding: value.serialized(), as: UTF8.self)
        }
    }

    /// `scope` (a space-separated string) or `scp` (a string or an array); nil when neither is there.
    static func scopes(_ payload: [String: JSONValue]) -> [String]? {
        for name in ["scope", "scp"] {
            switch payload[name] {
            case .string(let s)?: return s.split(separator: " ").map(String.init)
            case .array(let items)?: return items.compactMap { if case .string(let s) = $0 { s } else { nil } }
            default: continue
            }
        }
        return nil
    }
}

extension VerifiedToken {
    /// An operator: the scope `evcsm/operator`, or a `cognito:groups` claim naming that group (in API Gateway's
    /// `[a b]` form, as a JSON array, or a plain name).
    public var isOperator: Bool {
        let name = DevelopmentIssuer.operatorScope
        if scopes?.contains(name) == true { return true }
        guard let groups = claims["cognito:groups"] else { return false }
        let separators: Set<Character> = ["[", "]", " ", ",", "\""]
        return groups.split(whereSeparator: { separators.contains($0) }).contains { $0 == name }
    }
}
