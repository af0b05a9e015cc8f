import Foundation
import FunctionRuntime
import Synchronization
import Testing

@testable import LocalRunner

/// `--jwks-url`: fetched at start, fetched again when a token names an unknown `kid` — at most once a minute.
@Suite("JWKS re-fetch on an unknown kid")
struct AuthKeyRotationTests {
    /// An issuer's web server: a 404 for discovery, the JWKS of the moment for the key URL, counting key fetches.
    final class FakeIssuerServer: HTTPTransport, Sendable {
        let jwks: Mutex<[UInt8]>
        let fetches = Atomic<Int>(0)

        init(jwks: [UInt8]) { self.jwks = Mutex(jwks) }

        func send(_ request: HTTPClientRequest) throws(FunctionRuntimeError) -> HTTPClientResponse {
            guard request.url == "https://issuer.test/keys" else { return HTTPClientResponse(status: 404) }
            fetches.add(1, ordering: .relaxed)
            return HTTPClientResponse(status: 200, body: jwks.withLock { $0 })
        }

        /// An authorizer for the issuer this server is, its keys fetched once (from `https://issuer.test/keys`).
        func authorizer() async throws -> JWTAuthorizer {
            var settings = AuthSettings()
            settings.issuer = AuthTestIssuer.issuer
            settings.audience = AuthTestIssuer.audience
            settings.jwksURL = "https://issuer.test/keys"
            let authorizer = JWTAuthorizer(settings: settings, transport: self, metrics: RunnerMetrics())
            try await authorizer.prepare(dataDirectory: "/nonexistent")
            return authorizer
        }
    }

    @Test("a rotated-in key is picked up by one re-fetch; unknown kids within the minute fetch nothing")
    func rotation() async throws {
        let old = try await AuthTestIssuer.es256(kid: "old")
        let new = try await AuthTestIssuer.rs256(kid: "new")
        let server = FakeIssuerServer(jwks: old.jwks)
        let authorizer = try await server.authorizer()
        #expect(server.fetches.load(ordering: .relaxed) == 1)
        #expect((try? await authorizer.authorize("Bearer \(try old.token())", requestID: "r").get()) != nil)

        // The issuer rotates in a new key; its first token is still unknown to the runner's key set.
        let both = try JSONSerialization.data(withJSONObject: [
            "keys": [try keys(old.jwks)[0], try keys(new.jwks)[0]]
        ])
        server.jwks.withLock { $0 = Array(both) }
        // The start-up fetch was just now: within the minute an unknown kid is refused without a fetch.
        let early = await authorizer.authorize("Bearer \(try new.token())", requestID: "r")
        #expect(early == .failure(.unknownKey))
        #expect(server.fetches.load(ordering: .relaxed) == 1)

        authorizer.state.withLock { $0.lastFetch = .now - .seconds(61) }
        let rotated = await authorizer.authorize("Bearer \(try new.token())", requestID: "r")
        #expect((try? rotated.get())?.subject == "alice", "\(rotated)")
        #expect(server.fetches.load(ordering: .relaxed) == 2)
        let stranger = try await AuthTestIssuer.es256(kid: "nobody")
        #expect(await authorizer.authorize("Bearer \(try stranger.token())", requestID: "r") == .failure(.unknownKey))
        #expect(server.fetches.load(ordering: .relaxed) == 2, "a second unknown kid within the minute fetched again")
    }

    func keys(_ document: [UInt8]) throws -> [Any] {
        try #require((try JSONSerialization.jsonObject(with: Data(document)) as? [String: Any])?["keys"] as? [Any])
    }
}
