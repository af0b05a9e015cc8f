import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The JWT authorizer in a real evcsm-local: with the real template (every REST route protected, nothing
/// invoked without a token), with an echo function (the claims in the event), and the open routes around it.
@Suite("JWT authorizer (integration)", .serialized)
struct AuthIntegrationTests {
    static let api = "/api/ChargingSessionAPI"
    static let protectedRoutes: [(String, String)] = [
        ("GET", "\(api)/status?chargingPointId=cp-auth"), ("POST", "\(api)/start"), ("POST", "\(api)/stop"),
        ("GET", "\(api)/sessions"), ("GET", "\(api)/sessions/s-1"), ("POST", "\(api)/chargers"),
    ]

    /// An HTTP API whose one route is protected as the real template protects its routes.
    static let echoTemplate = """
        Transform: AWS::Serverless-2016-10-31
        Parameters:
          AuthMode: {Type: String, Default: jwt, AllowedValues: [jwt, none]}
        Conditions:
          HasJwtAuthorizer: !Equals [!Ref AuthMode, jwt]
        Resources:
          Api:
            Type: AWS::Serverless::HttpApi
            Properties:
              DefinitionBody:
                openapi: "3.0.1"
                paths:
                  /echo:
                    post:
                      security: !If [HasJwtAuthorizer, [{JwtAuthorizer: []}], !Ref AWS::NoValue]
                  /open:
                    get: {}
          Echo:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: provided.al2023
              Handler: bootstrap
              Environment: {Variables: {MODE: echo}}
              Events:
                Protected: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: POST, Path: /echo}}
                Open: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: /open}}
        """

    @Test("every REST route of the real template: 401 Unauthorized without a token, and nothing written")
    func realTemplate() async throws {
        let runner = try await RunnerProcess()
        let start: [String: Any] = [
            "chargingPointId": "cp-auth", "userId": "mallory", "vehicleId": "v", "maxPower": 11, "targetCharge": 80,
        ]
        for (method, path) in Self.protectedRoutes {
            let reply = try await runner.request(method, path, json: method == "POST" ? start : nil, token: nil)
            #expect(reply.status == 401, "\(method) \(path): \(reply.status) \(reply.text)")
            #expect(reply.text == #"{"message":"Unauthorized"}"#, "\(method) \(path)")
            #expect(reply.headers["www-authenticate"] == "Bearer", "\(method) \(path)")
            let garbage = try await runner.request(method, path, json: method == "POST" ? start : nil, token: "x.y.z")
            #expect(garbage.status == 401 && garbage.headers["www-authenticate"]?.contains("invalid_token") == true)
        }
        // Tokens signed with the runner's own key (read from its data dir), each wrong in one way.
        let own = try await AuthTestIssuer.development(dataDirectory: runner.dataDirectory)
        let stranger = try await AuthTestIssuer.es256(kid: own.kid)
        let now = Int64(Date().timeIntervalSince1970)
        var valid = AuthTestIssuer.claims(sub: "mallory", now: now)
        valid["iss"] = runner.baseURL
        valid["aud"] = "evcsm"
        valid["scope"] = "evcsm/operator"
        func claims(_ change: (inout [String: Any]) -> Void) -> [String: Any] {
            var copy = valid
            change(&copy)
            return copy
        }
        let forged: [(String, String)] = [
            ("expired", try own.token(claims { $0["exp"] = now - 120 })),
            ("wrong audience", try own.token(claims { $0["aud"] = "someone-else" })),
            ("wrong issuer", try own.token(claims { $0["iss"] = "https://evil.test" })),
            ("wrong signature", try stranger.token(valid)),
            ("alg none", try own.unsignedToken(valid, header: ["alg": "none", "kid": own.kid])),
        ]
        #expect(try await runner.request("GET", "\(Self.api)/sessions", token: try own.token(valid)).status == 200)
        for (method, path) in Self.protectedRoutes {
            for (what, token) in forged {
                let reply = try await runner.request(method, path, json: method == "POST" ? start : nil, token: token)
                #expect(
                    reply.status == 401 && reply.text == #"{"message":"Unauthorized"}"#, "\(what): \(method) \(path)")
            }
        }
        let sessions = try await runner.request("GET", "\(Self.api)/sessions")
        #expect(sessions.status == 200, "\(sessions.text)")
        #expect(
            (sessions.json["sessions"] as? [Any])?.isEmpty == true, "a refused start wrote a session: \(sessions.text)")
        let metrics = try await runner.request("GET", "/metrics", token: nil).text
        #expect(metrics.contains(#"evcsm_authorizer_denied_total{reason="missing_token"} 6"#), "\(metrics)")
        #expect(!runner.log.contains(try #require(runner.operatorToken)), "a token in the log")
        #expect(try await runner.terminate() == 0)
    }

    @Test("a development token's claims and scopes reach the function in requestContext.authorizer.jwt")
    func claimsInEvent() async throws {
        let runner = try await RunnerProcess(scriptFunction: "Echo", template: Self.echoTemplate)
        let driver = try await runner.token(sub: "alice")
        let reply = try await runner.request("POST", "/echo", json: ["hello": "world"], token: driver)
        #expect(reply.status == 200, "\(reply.text)")
        let context = try #require(reply.json["requestContext"] as? [String: Any])
        let jwt = try #require((context["authorizer"] as? [String: Any])?["jwt"] as? [String: Any])
        let claims = try #require(jwt["claims"] as? [String: String])
        #expect(claims["sub"] == "alice")
        #expect(claims["aud"] == "evcsm")
        #expect(claims["iss"] == runner.baseURL)
        #expect(Int(claims["exp"] ?? "") != nil)
        #expect(jwt["scopes"] == nil)
        let operatorReply = try await runner.request("POST", "/echo", json: [:])
        let operatorJWT = (operatorReply.json["requestContext"] as? [String: Any])?["authorizer"] as? [String: Any]
        #expect((operatorJWT?["jwt"] as? [String: Any])?["scopes"] as? [String] == ["evcsm/operator"])
        let open = try await runner.request("GET", "/open", token: nil)
        #expect(open.status == 200)
        #expect((open.json["requestContext"] as? [String: Any])?["authorizer"] == nil, "an open route has no claims")
        #expect(try await runner.request("POST", "/echo", json: [:], token: nil).status == 401)
        #expect(!runner.log.contains(driver), "a token in the log")
        #expect(try await runner.terminate() == 0)
    }

    @Test("/events needs a token; /auth/config, the JWKS, /healthz and /metrics stay open; /dev/token checks its body")
    func openRoutesAndEvents() async throws {
        let runner = try await RunnerProcess(scriptFunction: "Echo", template: Self.echoTemplate)
        let refused = try await runner.eventStream(token: nil)
        #expect(refused.hasPrefix("HTTP/1.1 401"), "\(refused)")
        let accepted = try await runner.eventStream()
        #expect(accepted.hasPrefix("HTTP/1.1 200") && accepted.contains(": connected"), "\(accepted)")
        let config = try await runner.request("GET", "/auth/config", token: nil)
        #expect(config.json["mode"] as? String == "dev" && config.json["issuer"] as? String == runner.baseURL)
        let jwks = try await runner.request("GET", "/.well-known/jwks.json", token: nil)
        #expect(((jwks.json["keys"] as? [[String: Any]])?.first?["alg"] as? String) == "ES256")
        let discovery = try await runner.request("GET", "/.well-known/openid-configuration", token: nil)
        #expect(discovery.json["jwks_uri"] as? String == "\(runner.baseURL)/.well-known/jwks.json")
        #expect(try await runner.request("GET", "/healthz", token: nil).status == 200)
        #expect(try await runner.request("GET", "/metrics", token: nil).status == 200)
        for body in [#"{"role":"driver"}"#, #"{"sub":"a","role":"admin"}"#, #"{"sub":"a","ttl":0}"#, "not json"] {
            let reply = try await runner.request("POST", "/dev/token", body: Data(body.utf8), token: nil)
            #expect(reply.status == 400, "\(body): \(reply.text)")
        }
        let keyFile = "\(runner.dataDirectory)/jwt/dev-issuer-es256.pem"
        let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try await runner.terminate() == 0)
        // The same key (and kid) after a restart on the same data dir.
        let again = try await RunnerProcess(
            template: "\(runner.dataDirectory)/template.yaml",
            functionsDirectory: try TestEnvironment.scriptFunctions(["Echo"]), dataDirectory: runner.dataDirectory)
        let jwksAgain = try await again.request("GET", "/.well-known/jwks.json", token: nil)
        #expect(jwksAgain.text == jwks.text)
        #expect(try await again.terminate() == 0)
    }

    @Test("an external issuer found through its discovery document: its tokens pass, /dev/token is off")
    func externalIssuer() async throws {
        let issuer = try await RunnerProcess(scriptFunction: "Echo", template: Self.echoTemplate)
        let runner = try await RunnerProcess(
            scriptFunction: "Echo", template: Self.echoTemplate,
            extraArguments: ["--jwt-issuer", issuer.baseURL, "--jwt-audience", "evcsm"])
        #expect(runner.operatorToken == nil)
        #expect(runner.child.standardOutputText.contains("Auth:       JWT (issuer \(issuer.baseURL), audience evcsm)"))
        let token = try await issuer.token(sub: "bob")
        let reply = try await runner.request("POST", "/echo", json: [:], token: token)
        #expect(reply.status == 200, "\(reply.text)")
        let config = try await runner.request("GET", "/auth/config", token: nil)
        #expect(config.json["mode"] as? String == "oidc" && config.json["clientId"] as? String == "evcsm")
        #expect(try await runner.request("POST", "/dev/token", json: ["sub": "a"], token: nil).status == 404)
        #expect(try await runner.request("POST", "/echo", json: [:], token: nil).status == 401)
        #expect(try await runner.terminate() == 0)
        #expect(try await issuer.terminate() == 0)
    }

    @Test("/dev/token refuses a caller that is not on loopback (403)")
    func devTokenLoopbackOnly() async throws {
        let address = try #require(Self.nonLoopbackAddress(), "this machine has no non-loopback IPv4 address")
        let runner = try await RunnerProcess(
            scriptFunction: "Echo", template: Self.echoTemplate, extraArguments: ["--host", "0.0.0.0"])
        let port = try #require(runner.baseURL.split(separator: ":").last)
        var request = URLRequest(url: URL(string: "http://\(address):\(port)/dev/token")!)
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"sub":"mallory","role":"operator"}"#.utf8)
        let (data, response) = try await RunnerProcess.session.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 403, "\(String(decoding: data, as: UTF8.self))")
        #expect(runner.operatorToken != nil, "loopback callers still get tokens")
        #expect(try await runner.terminate() == 0)
    }

    @Test("--auth none opens the API with a warning, and is refused on a host that is not loopback")
    func authNone() async throws {
        let runner = try await RunnerProcess(
            scriptFunction: "Echo", template: Self.echoTemplate, extraArguments: ["--auth", "none"])
        #expect(runner.operatorToken == nil)
        #expect(runner.child.standardOutputText.contains("Auth:       NONE (open API, loopback only)"))
        #expect(try await runner.request("POST", "/echo", json: [:], token: nil).status == 200)
        #expect(try await runner.eventStream(token: nil).hasPrefix("HTTP/1.1 200"))
        #expect(try await runner.request("POST", "/dev/token", json: ["sub": "a"], token: nil).status == 404)
        #expect(try await runner.terminate() == 0)

        let bin = try TestEnvironment.binDirectory()
        let output = try await runTool(
            "\(bin)/evcsm-local",
            [
                "--host", "0.0.0.0", "--auth", "none", "--port", "0", "--data-dir",
                try TestEnvironment.temporaryDirectory(),
            ])
        #expect(output.contains("--auth none opens the API to anyone"), "\(output)")
        #expect(!output.contains("is running"))
    }

    /// A local IPv4 address other than 127.x (the peer address of a request sent to it is that address).
    static func nonLoopbackAddress() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else {
                continue
            }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(MemoryLayout<sockaddr_in>.size)
            guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
                continue
            }
            let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !text.hasPrefix("127.") { return text }
        }
        return nil
    }
}
