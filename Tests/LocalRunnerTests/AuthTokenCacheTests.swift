import Foundation
import Synchronization
import Testing

@testable import LocalRunner

/// The JWT authorizer's verified-token cache: a token seen before is not verified again, but its time window
/// is checked on every request, a key change forgets every token, and only accepted tokens are kept.
@Suite("JWT verified-token cache")
struct AuthTokenCacheTests {
    static let start = Int64(Date().timeIntervalSince1970)

    /// An authorizer over `issuer`'s JWKS file, on `clock` (the system clock by default).
    func authorizer(
        _ issuer: AuthTestIssuer, capacity: Int = JWTAuthorizer.tokenCacheCapacity,
        clock: @escaping @Sendable () -> Int64 = JWTAuthorizer.systemClock
    ) async throws -> JWTAuthorizer {
        let path = "\(try TestEnvironment.temporaryDirectory())/jwks.json"
        try Data(issuer.jwks).write(to: URL(fileURLWithPath: path))
        let authorizer = JWTAuthorizer(
            settings: AuthVerifierTests.external(jwksFile: path), metrics: RunnerMetrics(), cacheCapacity: capacity,
            now: clock)
        try await authorizer.prepare(dataDirectory: try TestEnvironment.temporaryDirectory())
        return authorizer
    }

    /// A clock tests move by hand.
    final class ManualClock: Sendable {
        let seconds: Atomic<Int64>
        init(_ start: Int64) { seconds = Atomic(start) }
        func set(_ value: Int64) { seconds.store(value, ordering: .relaxed) }
        var now: Int64 { seconds.load(ordering: .relaxed) }
    }

    @Test("a cached token is refused once it has expired, and dropped from the cache")
    func expiry() async throws {
        let issuer = try await AuthTestIssuer.es256()
        let clock = ManualClock(Self.start)
        let authorizer = try await authorizer(issuer, clock: { clock.now })
        let header = "Bearer \(try issuer.token(AuthTestIssuer.claims(now: Self.start)))"
        for _ in 0..<2 {
            #expect((try? await authorizer.authorize(header, requestID: "r").get())?.subject == "alice")
        }
        #expect(authorizer.cache.count == 1)
        // Still within the leeway after `exp`: accepted from the cache.
        clock.set(Self.start + 3600 + AuthSettings.leeway - 1)
        #expect((try? await authorizer.authorize(header, requestID: "r").get()) != nil)
        clock.set(Self.start + 3600 + AuthSettings.leeway)
        #expect(await authorizer.authorize(header, requestID: "r") == .failure(.expired))
        #expect(authorizer.cache.count == 0, "the expired token stayed in the cache")
        #expect(await authorizer.authorize(header, requestID: "r") == .failure(.expired))
        let metrics = authorizer.metrics.prometheusText()
        #expect(metrics.contains(#"evcsm_authorizer_denied_total{reason="expired"} 2"#), "\(metrics)")
    }

    @Test("a refused token is never cached; a tampered signature is refused while the genuine token is cached")
    func tampered() async throws {
        let issuer = try await AuthTestIssuer.rs256()
        let authorizer = try await authorizer(issuer)
        let genuine = try issuer.token()
        #expect((try? await authorizer.authorize("Bearer \(genuine)", requestID: "r").get()) != nil)
        // Same header and claims, another signature (its first character changed).
        let dot = try #require(genuine.lastIndex(of: "."))
        let first = genuine[genuine.index(after: dot)]
        let forged = genuine[...dot] + (first == "A" ? "B" : "A") + genuine[genuine.index(dot, offsetBy: 2)...]
        #expect(forged != genuine)
        for _ in 0..<2 {
            #expect(await authorizer.authorize("Bearer \(forged)", requestID: "r") == .failure(.signature))
        }
        let expired = try issuer.token(AuthTestIssuer.claims(now: Self.start - 7200))
        #expect(await authorizer.authorize("Bearer \(expired)", requestID: "r") == .failure(.expired))
        #expect(authorizer.cache.count == 1, "only the genuine token is cached")
        #expect((try? await authorizer.authorize("Bearer \(genuine)", requestID: "r").get()) != nil)
    }

    @Test("a key rotation (a re-fetched JWKS) forgets every cached token")
    func rotation() async throws {
        let old = try await AuthTestIssuer.es256(kid: "old")
        let new = try await AuthTestIssuer.es256(kid: "new")
        let server = AuthKeyRotationTests.FakeIssuerServer(jwks: old.jwks)
        let authorizer = try await server.authorizer()
        let oldHeader = "Bearer \(try old.token())"
        #expect((try? await authorizer.authorize(oldHeader, requestID: "r").get()) != nil)
        #expect(authorizer.cache.count == 1)

        // The issuer replaces its key: the next unknown kid re-fetches the JWKS, which no longer has "old".
        server.jwks.withLock { $0 = new.jwks }
        authorizer.state.withLock { $0.lastFetch = .now - .seconds(61) }
        #expect((try? await authorizer.authorize("Bearer \(try new.token())", requestID: "r").get()) != nil)
        #expect(server.fetches.load(ordering: .relaxed) == 2)
        #expect(await authorizer.authorize(oldHeader, requestID: "r") == .failure(.unknownKey))
        #expect(authorizer.cache.count == 1, "only the token of the new key is cached")
    }

    @Test("the cache stays bounded: the oldest entry makes room, a newer key-set generation empties it")
    func bounded() async throws {
        let issuer = try await AuthTestIssuer.es256()
        let authorizer = try await authorizer(issuer, capacity: 3)
        var headers: [String] = []
        for index in 0..<5 {
            headers.append("Bearer \(try issuer.token(AuthTestIssuer.claims(sub: "user-\(index)")))")
            #expect((try? await authorizer.authorize(headers[index], requestID: "r").get()) != nil)
            #expect(authorizer.cache.count == min(index + 1, 3))
        }
        let generation = authorizer.state.withLock { $0.generation }
        #expect(authorizer.cache.entry(for: headers[0], generation: generation) == nil)
        #expect(authorizer.cache.entry(for: headers[1], generation: generation) == nil)
        #expect(authorizer.cache.entry(for: headers[4], generation: generation)?.token.subject == "user-4")

        let cache = VerifiedTokenCache(capacity: 2)
        let entry = VerifiedTokenCache.Entry(
            token: VerifiedToken(claims: ["sub": "a"]), validity: .init(["exp": .integer(10)], leeway: 0))
        cache.insert(entry, for: "a", generation: 1)
        cache.insert(entry, for: "b", generation: 2)
        #expect(cache.count == 1 && cache.entry(for: "a", generation: 1) == nil)
        cache.insert(entry, for: "c", generation: 1)
        #expect(cache.count == 1, "an entry of a replaced generation was stored")
        #expect(cache.entry(for: "b", generation: 2) != nil && cache.entry(for: "b", generation: 3) == nil)
    }
}
