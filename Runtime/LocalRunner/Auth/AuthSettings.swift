import Foundation

/// How `evcsm-local` authenticates REST and SSE callers: the HTTP API JWT authorizer it emulates, with its own
/// development issuer or an external one, or nothing at all (`--auth none`, loopback only).
public struct AuthSettings: Sendable, Equatable {
    /// `--auth`.
    public enum Mode: String, Sendable, CaseIterable {
        /// Bearer JWTs on every protected route (the default, as the template deploys it).
        case jwt
        /// No authorizer: the API is open, as the original system was. Refused unless the host is loopback.
        case none
    }

    /// The audience the development issuer writes and requires (`--jwt-audience` changes it).
    public static let developmentAudience = "evcsm"
    /// Clock skew allowed on `exp`, `nbf` and `iat` (API Gateway allows some; 60 s is the usual OIDC choice).
    public static let leeway: Int64 = 60

    public var mode = Mode.jwt
    /// `--jwt-issuer`: an external issuer's URL (`iss`); nil runs the development issuer.
    public var issuer: String?
    /// `--jwt-audience`: the audience (`aud`, or `client_id` when the token has no `aud`) required.
    public var audience: String?
    /// `--jwks-url`: where the external issuer's JWKS is; nil with no ``jwksFile`` asks the issuer's discovery
    /// document (`<issuer>/.well-known/openid-configuration`) for its `jwks_uri`.
    public var jwksURL: String?
    /// `--jwks-file`: the external issuer's JWKS, read once at start.
    public var jwksFile: String?
    /// `--jwt-client-id`: the OAuth client id the web page signs in with (default: the audience).
    public var clientID: String?

    public init() {}

    /// The audience tokens must carry.
    public var requiredAudience: String { audience ?? Self.developmentAudience }

    /// Whether the runner is its own (development) issuer.
    public var usesDevelopmentIssuer: Bool { mode == .jwt && issuer == nil }

    /// Refuses combinations that cannot mean what they say: `--auth none` on a host other than loopback, or
    /// with issuer flags; external issuer flags without `--jwt-issuer`, or without an audience; both JWKS sources.
    public func validate(host: String) throws(LocalRunnerError) {
        let external = [("--jwks-url", jwksURL), ("--jwks-file", jwksFile), ("--jwt-client-id", clientID)]
        switch mode {
        case .none:
            guard Self.isLoopback(host) else {
                throw LocalRunnerError(
                    .configuration,
                    "--auth none opens the API to anyone who can reach it: only with a loopback --host "
                        + "(127.0.0.1, ::1 or localhost), not \(host)")
            }
            if let flag = ([("--jwt-issuer", issuer), ("--jwt-audience", audience)] + external)
                .first(where: { $0.1 != nil })
            {
                throw LocalRunnerError(.configuration, "\(flag.0) has no effect with --auth none")
            }
        case .jwt:
            if issuer == nil, let flag = external.first(where: { $0.1 != nil }) {
                throw LocalRunnerError(.configuration, "\(flag.0) needs --jwt-issuer (the external issuer's URL)")
            }
            if let issuer {
                guard issuer.hasPrefix("https://") || issuer.hasPrefix("http://") else {
                    throw LocalRunnerError(.configuration, "--jwt-issuer \(issuer): use the issuer's http(s) URL")
                }
                guard audience != nil else {
                    throw LocalRunnerError(
                        .configuration, "--jwt-issuer needs --jwt-audience (the client id or API audience)")
                }
            }
            if jwksURL != nil, jwksFile != nil {
                throw LocalRunnerError(.configuration, "use --jwks-url or --jwks-file, not both")
            }
        }
    }

    /// Whether `host` (a listen address or a peer's address) is the loopback interface.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.") || bare.hasPrefix("::ffff:127.")
    }
}

extension AuthSettings {
    /// What the functions' environment gets on top of the template's: `AUTH_MODE=none` under `--auth none`
    /// (the functions then treat every caller as an operator, as the original system did).
    public var functionEnvironment: [String: String] { mode == .none ? ["AUTH_MODE": "none"] : [:] }

    /// The banner's `Auth:` line.
    public func bannerLine(baseURL: String) -> String {
        switch mode {
        case .none:
            return
                "  Auth:       NONE (open API, loopback only) — WARNING: anyone who reaches this port may call every route"
        case .jwt:
            guard let issuer else {
                return "  Auth:       JWT (development issuer) — token: curl -s -X POST \(baseURL)/dev/token "
                    + #"-d '{"sub":"alice","role":"driver"}'"#
            }
            return "  Auth:       JWT (issuer \(issuer), audience \(requiredAudience))"
        }
    }
}
