import ArgumentParser
import LocalRunner

/// The JWT authorizer's flags (`--auth`, `--jwt-*`, `--jwks-*`), parsed into ``AuthSettings``.
struct AuthOptions: ParsableArguments {
    @Option(help: "jwt (bearer JWTs on every protected route, the default) or none (open API; loopback --host only).")
    var auth = "jwt"
    @Option(
        help: "External issuer URL (iss), e.g. a Cognito user pool or Keycloak realm; default: the development issuer.")
    var jwtIssuer: String?
    @Option(help: "Audience the tokens must carry (aud, or client_id); default for the development issuer: evcsm.")
    var jwtAudience: String?
    @Option(help: "The external issuer's JWKS URL (default: jwks_uri of its discovery document).")
    var jwksUrl: String?
    @Option(help: "The external issuer's JWKS as a file (read at start).") var jwksFile: String?
    @Option(help: "OAuth client id the web page signs in with at the external issuer (default: the audience).")
    var jwtClientId: String?

    func settings() throws -> AuthSettings {
        guard let mode = AuthSettings.Mode(rawValue: auth) else { throw ValidationError("--auth must be jwt or none") }
        var settings = AuthSettings()
        settings.mode = mode
        settings.issuer = jwtIssuer
        settings.audience = jwtAudience
        settings.jwksURL = jwksUrl
        settings.jwksFile = jwksFile
        settings.clientID = jwtClientId
        return settings
    }
}
