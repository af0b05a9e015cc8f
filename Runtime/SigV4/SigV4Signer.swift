import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signs HTTP requests with AWS Signature Version 4 (`Authorization` header, not presigned), as the AWS SDKs do:
/// the canonical request over the path as sent (each segment encoded once more, every service but S3), the
/// sorted query, the signed headers `host`, `x-amz-date` (and `x-amz-security-token` with temporary credentials)
/// and the body's SHA-256. evcsm's functions sign their IoT Data Plane, IoT and `@connections` calls with it, so
/// the same request goes over the runtime's plain HTTP client locally and over libcurl to AWS, and no libcurl
/// SigV4 quirk (before 8.10 it signs `/@connections/…` with a raw `@`) can change a signature.
public struct SigV4Signer: Sendable {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// The session token of temporary credentials (Lambda's); sent and signed as `x-amz-security-token`.
    public var sessionToken: String?
    public var region: String
    /// The signing name: `iotdata`, `iot`, `execute-api`.
    public var service: String

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String?, region: String, service: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.service = service
    }

    /// The headers to add to a request for `url` (`x-amz-date`, `x-amz-security-token`, `Authorization`); nil when
    /// `url` is not an absolute http(s) URL. `headers` are the request's own: none of them is signed but `host`
    /// (which the clients derive from the URL: the host, and the port unless it is the scheme's default).
    public func headers(method: String, url: String, body: [UInt8], now: Date) -> [(String, String)]? {
        guard let target = SignedTarget(url) else { return nil }
        let amzDate = SigV4Canonical.amzDate(now)
        let date = String(amzDate.prefix(8))
        var signed: [(String, String)] = [("host", target.host), ("x-amz-date", amzDate)]
        if let sessionToken { signed.append(("x-amz-security-token", sessionToken)) }
        let names = signed.map(\.0)
        let canonical = SigV4Canonical.canonicalRequest(
            method: method, path: target.path, query: target.query, headers: SigV4Headers(signed),
            signedHeaders: names, payloadHash: SigV4Canonical.hex(SHA256.hash(data: body)))
        let scope = "\(date)/\(region)/\(service)/aws4_request"
        let key = SigV4Canonical.signingKey(secret: secretAccessKey, date: date, region: region, service: service)
        let toSign = SigV4Canonical.stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical)
        let signature = SigV4Canonical.hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: key))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(names.joined(separator: ";")), "
            + "Signature=\(signature)"
        return signed.dropFirst().map { $0 } + [("Authorization", authorization)]
    }
}

/// The parts of an absolute http(s) URL a signature covers.
struct SignedTarget: Equatable {
    /// `host[:port]`, the port left out when it is the scheme's default (what curl and the runtime send as `Host`).
    var host: String
    /// The path as sent (`/` when empty), percent-encoding kept.
    var path: String
    /// The query without `?` (empty when none).
    var query: String

    init?(_ url: String) {
        let defaultPort: String
        let rest: Substring
        if url.hasPrefix("https://") {
            (defaultPort, rest) = ("443", url.dropFirst(8))
        } else if url.hasPrefix("http://") {
            (defaultPort, rest) = ("80", url.dropFirst(7))
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        if authority.hasSuffix(":\(defaultPort)") { authority = authority.dropLast(defaultPort.count + 1) }
        host = String(authority)
        let target = rest[authorityEnd...]
        let queryStart = target.firstIndex(of: "?")
        let rawPath = queryStart.map { target[..<$0] } ?? target
        path = rawPath.isEmpty ? "/" : String(rawPath)
        query = queryStart.map { String(target[target.index(after: $0)...]) } ?? ""
    }
}
