import FunctionRuntime

/// How the HTTP functions learn who calls them: `AUTH_MODE`, read once at start.
public enum AuthMode: String, Sendable, Hashable, CaseIterable {
    /// The API Gateway JWT authorizer checked the token; its claims are in the event (the default).
    case jwt
    /// No authorizer (`evcsm-local --auth none`, `AuthMode=none`): every caller is an anonymous operator, as the
    /// original system was.
    case none

    /// `AUTH_MODE`: `jwt` (also when unset) or `none`; anything else is an init error naming the variable.
    public static func fromEnvironment(_ env: FunctionEnvironment) throws(FunctionRuntimeError) -> AuthMode {
        guard let raw = env["AUTH_MODE"] else { return .jwt }
        guard let mode = AuthMode(rawValue: raw.lowercased()) else {
            throw FunctionRuntimeError(
                .invalidEnvironment, "environment variable AUTH_MODE must be jwt or none: \(raw)")
        }
        return mode
    }
}

/// Who calls an HTTP function: the token's `sub` and whether it is an operator (DESIGN.md §1 "Who may call what").
///
/// A driver acts on their own sessions only; an operator on all. The function verifies nothing itself: API
/// Gateway's JWT authorizer (or evcsm-local's emulation of it) checked the token and put its claims into
/// `requestContext.authorizer.jwt`. MQTT-triggered functions have no caller (broker ACLs are their auth).
public struct Caller: Sendable, Hashable {
    /// The scope (or `cognito:groups` entry) that makes a caller an operator.
    public static let operatorScope = "evcsm/operator"

    /// The token's `sub`; nil for the anonymous caller of `AUTH_MODE=none`.
    public let userId: String?
    /// True for operators (and the anonymous caller of `AUTH_MODE=none`).
    public let isOperator: Bool

    public init(userId: String?, isOperator: Bool) {
        self.userId = userId
        self.isOperator = isOperator
    }

    /// The caller of `AUTH_MODE=none`: anonymous, with operator rights.
    public static let anonymousOperator = Caller(userId: nil, isOperator: true)

    /// The caller of `request`. Under ``AuthMode/jwt`` an event without claims or without a `sub` is a 401
    /// envelope (`Unauthorized`; the authorizer normally answers before the function runs).
    public static func of(_ request: APIGatewayV2Request, mode: AuthMode) throws(ChargingError) -> Caller {
        guard mode == .jwt else { return .anonymousOperator }
        guard let jwt = request.requestContext.authorizer?.jwt, let sub = jwt.claims["sub"], !sub.isEmpty else {
            throw ChargingError(.unauthorized, "a signed-in caller is required (no token claims in the request)")
        }
        let scopes = jwt.scopes ?? (jwt.claims["scope"] ?? jwt.claims["scp"]).map(Self.words) ?? []
        let groups = jwt.claims["cognito:groups"].map(Self.listClaim) ?? []
        return Caller(userId: sub, isOperator: scopes.contains(operatorScope) || groups.contains(operatorScope))
    }

    /// True when the caller may see and change `session`: an operator, or the session's user.
    public func owns(_ session: ChargingSession) -> Bool {
        isOperator || session.userId == userId
    }

    /// Throws a 403 envelope (`Forbidden`) unless the caller is an operator.
    public func requireOperator(_ action: String) throws(ChargingError) {
        guard isOperator else { throw ChargingError(.forbidden, "only an operator may \(action)") }
    }

    /// Throws a 403 envelope (`Forbidden`) when a driver acts as `userId` that is not their own `sub`.
    public func requireSelf(_ userId: String, _ action: String) throws(ChargingError) {
        guard isOperator || userId == self.userId else {
            throw ChargingError(.forbidden, "only an operator may \(action); leave userId out or give your own")
        }
    }

    /// `query` as the caller may run it: unchanged for an operator; for a driver limited to their own sessions
    /// (the `userId` filter is the caller's `sub`, so cursors page through their sessions only). A driver's `userId`
    /// filter naming another user is a 403 envelope.
    public func scoped(_ query: SessionQuery) throws(ChargingError) -> SessionQuery {
        guard !isOperator else { return query }
        var scoped = query
        if let asked = query.userId { try requireSelf(asked, "list another user's sessions") }
        scoped.userId = userId
        return scoped
    }

    /// The entries of a list claim as API Gateway hands it over: `[a b]`, or a JSON array `["a","b"]`, or one
    /// plain value (or several separated by spaces or commas).
    static func listClaim(_ value: String) -> [String] {
        var text = Substring(value.trimmingSpaces)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        return text.split(whereSeparator: { $0 == " " || $0 == "," }).map { entry in
            var entry = entry
            if entry.count >= 2, entry.hasPrefix("\""), entry.hasSuffix("\"") { entry = entry.dropFirst().dropLast() }
            return String(entry)
        }.filter { !$0.isEmpty }
    }

    /// A space-separated claim (`scope`), as its words.
    static func words(_ value: String) -> [String] { value.split(separator: " ").map(String.init) }
}

extension FunctionDependencies {
    /// The caller of an HTTP request under the configured ``AuthMode``; a 401 envelope when there is none.
    public func caller(of request: APIGatewayV2Request) throws(ChargingError) -> Caller {
        try Caller.of(request, mode: authMode)
    }
}
