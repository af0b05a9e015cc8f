import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Credentials for the runner's REST and SSE routes (C6): development tokens, the stream with a token, and the
/// HTTP client the requests go through.
extension RunnerProcess {
    /// What `GET /events` sends within `seconds` (read with curl, which ends the stream then), with the operator
    /// token by default, as ``request(_:_:json:body:headers:token:)`` takes it; `-i` puts the status line first.
    func eventStream(token: String? = operatorTokenDefault, seconds: Int = 2) async throws -> String {
        var arguments = ["-s", "-i", "-N", "--max-time", String(seconds), baseURL + "/events"]
        if let bearer = token == Self.operatorTokenDefault ? operatorToken : token {
            arguments += ["-H", "Authorization: Bearer \(bearer)"]
        }
        return try await runTool("/usr/bin/curl", arguments, timeout: TimeInterval(seconds + 20))
    }

    /// The tests' HTTP client: no cookie jar (a `Set-Cookie` of one runner must not reach the next one).
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        return URLSession(configuration: configuration)
    }()

    /// What ``request(_:_:json:body:headers:token:)`` sends by default: ``operatorToken``.
    static let operatorTokenDefault = "(the operator token)"

    /// A token from the runner's development issuer for `sub` with `role` (`driver` or `operator`).
    func token(sub: String, role: String = "driver", ttl: Int? = nil) async throws -> String {
        try await Self.developmentToken(baseURL: baseURL, sub: sub, role: role, ttl: ttl)
    }

    static func developmentToken(baseURL: String, sub: String, role: String, ttl: Int? = nil) async throws -> String {
        var request = URLRequest(url: URL(string: baseURL + "/dev/token")!)
        request.httpMethod = "POST"
        var body: [String: Any] = ["sub": sub, "role": role]
        if let ttl { body["ttl"] = ttl }
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response) = try await RunnerProcess.session.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200,
            let token = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["token"] as? String
        else { throw HarnessError("POST /dev/token failed: \(String(decoding: data, as: UTF8.self))") }
        return token
    }
}
