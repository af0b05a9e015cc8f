import Foundation
import FunctionRuntime
import Logging
import Synchronization

/// The HTTP API JWT authorizer as evcsm-local runs it: the verifier of the moment (keys parsed at start), the
/// development issuer or the external issuer's JWKS source, and a re-fetch of a `--jwks-url` when a token names
/// an unknown `kid` (at most once a minute, as key rotation needs and no more).
///
/// Verified tokens are cached (``VerifiedTokenCache``, 4,096 entries, oldest out first) by their exact
/// `Authorization` header value: a token seen before skips the signature check and the JSON parsing, but its
/// `exp`, `nbf` and `iat` are checked against the clock on every request (an expired cached token is refused
/// and dropped). Every change of the verifier (keys loaded or re-fetched, issuer set) starts a new key-set
/// generation, which empties the cache; only accepted tokens are ever stored.
public final class JWTAuthorizer: Sendable {
    /// Where an external issuer's keys come from.
    enum KeySource: Sendable, Equatable {
        case url(String)
        case file(String)
    }

    /// What the web page needs to sign in (`GET /auth/config`).
    public struct ClientConfiguration: Codable, Sendable, Equatable {
        public var mode: String
        public var issuer: String?
        public var audience: String?
        public var clientId: String?
        public var authorizationEndpoint: String?
        public var tokenEndpoint: String?
    }

    struct State {
        var verifier: JWTVerifier?
        var development: DevelopmentIssuer?
        var lastFetch: ContinuousClock.Instant?
        var client = ClientConfiguration(mode: "none")
        /// Bumped whenever `verifier` changes: the ``VerifiedTokenCache`` generation.
        var generation: UInt64 = 0

        /// Replaces the verifier (or changes it in place) and starts a new generation.
        mutating func updateVerifier(_ change: (inout JWTVerifier?) -> Void) {
            change(&verifier)
            generation &+= 1
        }
    }

    /// Shortest time between two JWKS fetches caused by unknown key ids.
    static let refetchInterval: Duration = .seconds(60)

    public let settings: AuthSettings
    let transport: any HTTPTransport
    let metrics: RunnerMetrics
    let logger: Logger
    let state = Mutex(State())
    let keySource: Mutex<KeySource?> = Mutex(nil)
    /// Tokens verified under the current generation.
    let cache: VerifiedTokenCache
    /// Seconds since the epoch: what `exp`, `nbf` and `iat` are checked against.
    let now: @Sendable () -> Int64

    /// Verified tokens kept by default: far more distinct tokens than a local runner sees in a token's lifetime.
    public static let tokenCacheCapacity = 4096

    /// The system clock in whole seconds since the epoch.
    public static let systemClock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    public init(
        settings: AuthSettings, transport: any HTTPTransport = CurlHTTPClient(), metrics: RunnerMetrics,
        logger: Logger = Logger(label: "evcsm.auth"), cacheCapacity: Int = JWTAuthorizer.tokenCacheCapacity,
        now: @escaping @Sendable () -> Int64 = JWTAuthorizer.systemClock
    ) {
        self.cache = VerifiedTokenCache(capacity: cacheCapacity)
        self.now = now
        self.settings = settings
        self.transport = transport
        self.metrics = metrics
        self.logger = logger
        if settings.mode == .jwt {
            for reason in AuthorizerDenial.allCases {
                _ = metrics.counter(.authorizerDenied, [("reason", reason.rawValue)])
            }
        }
    }

    /// Whether protected routes check tokens at all (`--auth jwt`).
    public var isEnabled: Bool { settings.mode == .jwt }

    /// The development issuer, when it is the one in use and has been loaded.
    public var developmentIssuer: DevelopmentIssuer? { state.withLock { $0.development } }

    /// The expected `iss` (the development issuer's is known once the HTTP port is).
    public var issuer: String? { state.withLock { $0.verifier?.issuer } }

    public var clientConfiguration: ClientConfiguration { state.withLock { $0.client } }

    /// Loads the keys before the server starts: the development key pair from `<dataDirectory>/jwt` (made the
    /// first time), or the external issuer's JWKS (from the file, the URL, or the URL its discovery document
    /// names). Start-up fails with a clear error when they cannot be had.
    public func prepare(dataDirectory: String) async throws(LocalRunnerError) {
        guard settings.mode == .jwt else { return }
        guard let issuer = settings.issuer else {
            let development = try await DevelopmentIssuer.load(directory: "\(dataDirectory)/jwt")
            let keys = try await JWTKeySet.parse(jwks: development.jwks, source: "the development issuer")
            state.withLock {
                $0.development = development
                // The issuer URL is the runner's own address, known once it listens (``serving(at:)``).
                $0.updateVerifier { $0 = JWTVerifier(keys: keys, issuer: "", audiences: [settings.requiredAudience]) }
            }
            return
        }
        var client = ClientConfiguration(
            mode: "oidc", issuer: issuer, audience: settings.requiredAudience,
            clientId: settings.clientID ?? settings.requiredAudience)
        var source: KeySource? = settings.jwksFile.map(KeySource.file) ?? settings.jwksURL.map(KeySource.url)
        // With a key file the runner needs no network: no discovery document (the page then has no sign-in URL).
        if settings.jwksFile == nil {
            do throws(LocalRunnerError) {
                let discovery = try await fetch(
                    Self.discoveryURL(issuer), as: Discovery.self, what: "the issuer's discovery document")
                client.authorizationEndpoint = discovery.authorization_endpoint
                client.tokenEndpoint = discovery.token_endpoint
                if source == nil, let jwksURI = discovery.jwks_uri { source = .url(jwksURI) }
            } catch {
                guard source != nil else { throw error }
                logger.notice("no discovery document for \(issuer): \(error.message)")
            }
        }
        guard let source else {
            throw LocalRunnerError(
                .configuration, "the discovery document of \(issuer) names no jwks_uri: pass --jwks-url or --jwks-file")
        }
        keySource.withLock { $0 = source }
        let keys = try await loadKeys(source)
        state.withLock { [client] in
            $0.updateVerifier { $0 = JWTVerifier(keys: keys, issuer: issuer, audiences: [settings.requiredAudience]) }
            $0.lastFetch = .now
            $0.client = client
        }
        logger.info("JWT issuer \(issuer): keys \(keys.keyIDs.joined(separator: ", "))")
    }

    /// Tells the development issuer the runner's base URL (`http://host:port`), its `iss`.
    public func serving(at baseURL: String) {
        guard settings.usesDevelopmentIssuer else { return }
        state.withLock {
            $0.updateVerifier { $0?.issuer = baseURL }
            $0.client = ClientConfiguration(
                mode: "dev", issuer: baseURL, audience: settings.requiredAudience,
                tokenEndpoint: "\(baseURL)/dev/token")
        }
    }

    /// Checks an `Authorization` header value (a cached token only against the clock). A denial is counted and
    /// logged at debug with its reason (and the subject when the token had one); the token itself is never logged.
    public func authorize(_ authorization: String?, requestID: String) async -> Result<VerifiedToken, AuthorizerDenial>
    {
        let now = self.now()
        let (verifier, generation) = state.withLock { ($0.verifier, $0.generation) }
        do throws(AuthorizerDenial) {
            if let authorization, let cached = cache.entry(for: authorization, generation: generation) {
                do throws(AuthorizerDenial) {
                    try cached.validity.check(now: now)
                } catch {
                    cache.remove(authorization)
                    throw error
                }
                return .success(cached.token)
            }
            let token = try JWTVerifier.token(fromAuthorization: authorization)
            guard let verifier else { throw .unknownKey }
            let verified: (token: VerifiedToken, validity: JWTVerifier.Validity)
            let verifiedGeneration: UInt64
            do throws(AuthorizerDenial) {
                verified = try verifier.verifyWithValidity(token, now: now)
                verifiedGeneration = generation
            } catch .unknownKey {
                guard let refreshed = await refreshKeys() else { throw .unknownKey }
                verified = try refreshed.verifier.verifyWithValidity(token, now: now)
                verifiedGeneration = refreshed.generation
            }
            if let authorization {
                cache.insert(
                    .init(token: verified.token, validity: verified.validity), for: authorization,
                    generation: verifiedGeneration)
            }
            return .success(verified.token)
        } catch {
            metrics.counter(.authorizerDenied, [("reason", error.rawValue)]).increment()
            logger.debug("authorizer denied: \(error.rawValue)", metadata: ["requestID": "\(requestID)"])
            return .failure(error)
        }
    }

    /// Re-fetches a `--jwks-url` (or discovered) key set when the last fetch is a minute old or more; the new
    /// verifier and its generation, or nil when no fetch was due or it failed.
    func refreshKeys() async -> (verifier: JWTVerifier, generation: UInt64)? {
        guard case .url(let url)? = keySource.withLock({ $0 }) else { return nil }
        let due = state.withLock { s -> Bool in
            if let last = s.lastFetch, ContinuousClock.now - last < Self.refetchInterval { return false }
            s.lastFetch = .now
            return true
        }
        guard due else { return nil }
        do {
            let keys = try await loadKeys(.url(url))
            logger.info("JWKS re-fetched from \(url): keys \(keys.keyIDs.joined(separator: ", "))")
            return state.withLock { s in
                s.updateVerifier { $0?.keys = keys }
                return s.verifier.map { ($0, s.generation) }
            }
        } catch {
            logger.warning("JWKS re-fetch from \(url) failed: \(error.message)")
            return nil
        }
    }

    func loadKeys(_ source: KeySource) async throws(LocalRunnerError) -> JWTKeySet {
        switch source {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LocalRunnerError(.configuration, "--jwks-file \(path): cannot read it")
            }
            return try await JWTKeySet.parse(jwks: [UInt8](data), source: path)
        case .url(let url):
            return try await JWTKeySet.parse(jwks: try await get(url, what: "the JWKS"), source: url)
        }
    }

    static func discoveryURL(_ issuer: String) -> String {
        (issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer) + "/.well-known/openid-configuration"
    }

    /// A GET through the runner's HTTP client (blocking, so off the caller's task).
    func get(_ url: String, what: String) async throws(LocalRunnerError) -> [UInt8] {
        let transport = self.transport
        let result = await Task.detached { () -> Result<HTTPClientResponse, FunctionRuntimeError> in
            do throws(FunctionRuntimeError) {
                return .success(
                    try transport.send(
                        HTTPClientRequest(method: "GET", url: url, headers: [("accept", "application/json")])))
            } catch {
                return .failure(error)
            }
        }.value
        switch result {
        case .success(let response) where response.status == 200: return response.body
        case .success(let response):
            throw LocalRunnerError(.configuration, "\(what) at \(url): HTTP \(response.status)")
        case .failure(let error): throw LocalRunnerError(.configuration, "\(what) at \(url): \(error.message)")
        }
    }

    func fetch<T: Decodable>(_ url: String, as type: T.Type, what: String) async throws(LocalRunnerError) -> T {
        let body = try await get(url, what: what)
        do {
            return try RunnerJSON.decoder.decode(T.self, from: Data(body))
        } catch {
            throw LocalRunnerError(.configuration, "\(what) at \(url) is not valid: \(error)")
        }
    }

    // Member names as OpenID Connect Discovery 1.0 spells them.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    struct Discovery: Decodable {
        var jwks_uri: String?
        var authorization_endpoint: String?
        var token_endpoint: String?
    }
}
