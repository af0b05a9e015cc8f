import Crypto
import Essentials
import Foundation
import SigV4

/// Errors of SigV4 verification: the shared ``CodedError`` with AWS's own error names as codes.
public typealias SigV4Error = CodedError<SigV4ErrorCode>

/// The codes of ``SigV4Error``; every one is answered `403 {"message": ...}`, as AWS IoT does.
public enum SigV4ErrorCode: String, ErrorCode {
    /// No `Authorization` header at all.
    case missingAuthenticationToken = "MissingAuthenticationTokenException"
    /// The `Authorization` header is malformed, names another algorithm, or lacks a required part.
    case incompleteSignature = "IncompleteSignatureException"
    /// The access key is unknown, or a session token came with a key that has none.
    case unrecognizedClient = "UnrecognizedClientException"
    /// The credential scope or the request time is wrong (other date, region, service; outside 15 minutes).
    case invalidSignature = "InvalidSignatureException"
    /// The signature computed from the request differs from the one sent.
    case signatureDoesNotMatch = "SignatureDoesNotMatch"
}

/// Verifies AWS Signature Version 4 (`AWS4-HMAC-SHA256` in the `Authorization` header) as an AWS service
/// that is not S3 does: the canonical request from the method, the normalized and re-encoded path, the sorted
/// query, the signed headers and the payload's SHA-256, scoped to `date/region/service/aws4_request`, with
/// `x-amz-date` within 15 minutes of now. Presigned (query-string) requests are refused.
///
/// The path is the request target's path as it came on the wire (still percent-encoded): like AWS, its
/// segments are encoded once more (`%2F` is signed as `%252F`). libcurl before 8.10 signs the path as sent,
/// so a client that must work with both sends only unreserved characters and `/` in the path.
public struct SigV4Verifier: Sendable {
    /// How far `x-amz-date` may be from now, either way.
    public static let allowedSkew: TimeInterval = 15 * 60

    let credentials: [String: String]
    let region: String
    let service: String
    /// Also accepts a signature over the path exactly as sent, as libcurl before 8.10 signs it (`@connections`:
    /// no unreserved-only spelling of its `@` signs the same with every libcurl).
    var acceptsPathAsSent = false

    /// A verifier accepting `credentials` (access key → secret key) scoped to `region` and `service`.
    public init(credentials: [String: String], region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Checks the request's signature and returns the access key that signed it.
    ///
    /// - Parameters:
    ///   - path: the request target's path as received, percent-encoded (`/topics/charging%2Fupdates`).
    ///   - query: the raw query string without `?` (empty when there is none).
    ///   - headers: every header as received; names are compared case-insensitively.
    ///   - body: the whole request body.
    ///   - now: the time to check `x-amz-date` against.
    public func verify(
        method: String, path: String, query: String, headers: [(String, String)], body: [UInt8], now: Date
    ) throws(SigV4Error) -> String {
        let fields = SigV4Headers(headers)
        guard let authorization = fields.first("authorization") else {
            if Self.isPresigned(query) {
                throw SigV4Error(
                    .incompleteSignature,
                    "Presigned (query-string) requests are not supported; sign the Authorization header")
            }
            throw SigV4Error(.missingAuthenticationToken, "Missing Authentication Token")
        }
        if Self.isPresigned(query) {
            throw SigV4Error(
                .incompleteSignature, "Only one auth mechanism allowed; only the Authorization header is supported")
        }
        let auth = try SigV4Authorization(parsing: authorization)
        guard let secret = credentials[auth.accessKey] else {
            throw SigV4Error(.unrecognizedClient, "The security token included in the request is invalid.")
        }
        if fields.first("x-amz-security-token") != nil {
            throw SigV4Error(.unrecognizedClient, "The security token included in the request is invalid.")
        }
        guard let amzDate = fields.first("x-amz-date") else {
            throw SigV4Error(.incompleteSignature, "Authorization header requires existence of a 'X-Amz-Date' header.")
        }
        try checkScope(auth, amzDate: amzDate, now: now)
        guard auth.signedHeaders.contains("host"), auth.signedHeaders.contains("x-amz-date") else {
            throw SigV4Error(.signatureDoesNotMatch, "'Host' and 'X-Amz-Date' must be signed headers")
        }
        for name in auth.signedHeaders where fields.first(name) == nil {
            throw SigV4Error(
                .incompleteSignature, "'\(name)' is named as a SignedHeader, but it does not exist in the HTTP request."
            )
        }
        let payloadHash = SigV4Canonical.hex(SHA256.hash(data: body))
        if let declared = fields.first("x-amz-content-sha256"), declared.lowercased() != payloadHash {
            throw SigV4Error(
                .signatureDoesNotMatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
        }
        let canonical = SigV4Canonical.canonicalRequest(
            method: method, path: path, query: query, headers: fields, signedHeaders: auth.signedHeaders,
            payloadHash: payloadHash)
        let canonicals = acceptsPathAsSent ? [canonical, Self.withPathAsSent(canonical, path: path)] : [canonical]
        let key = SigV4Canonical.signingKey(secret: secret, date: auth.date, region: region, service: service)
        guard let provided = Self.bytes(fromHex: auth.signature),
            canonicals.contains(where: { canonical in
                let stringToSign = SigV4Canonical.stringToSign(
                    amzDate: amzDate, scope: auth.scope, canonicalRequest: canonical)
                return HMAC<SHA256>.isValidAuthenticationCode(
                    provided, authenticating: Array(stringToSign.utf8), using: key)
            })
        else {
            throw SigV4Error(
                .signatureDoesNotMatch,
                "The request signature we calculated does not match the signature you provided. "
                    + "Check your AWS Secret Access Key and signing method.")
        }
        return auth.accessKey
    }

    func checkScope(_ auth: SigV4Authorization, amzDate: String, now: Date) throws(SigV4Error) {
        guard let signedAt = Self.parseAmzDate(amzDate) else {
            throw SigV4Error(.incompleteSignature, "Invalid X-Amz-Date: \(amzDate) (expected yyyyMMddTHHmmssZ)")
        }
        guard auth.date == String(amzDate.prefix(8)) else {
            throw SigV4Error(
                .invalidSignature,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(auth.date)' != '\(amzDate.prefix(8))'"
            )
        }
        guard auth.region == region else {
            throw SigV4Error(.invalidSignature, "Credential should be scoped to a valid region, not '\(auth.region)'.")
        }
        guard auth.service == service else {
            throw SigV4Error(.invalidSignature, "Credential should be scoped to correct service: '\(service)'.")
        }
        guard auth.terminator == "aws4_request" else {
            throw SigV4Error(.invalidSignature, "Credential should be scoped with a valid terminator: 'aws4_request'.")
        }
        guard abs(signedAt.timeIntervalSince(now)) <= Self.allowedSkew else {
            throw SigV4Error(
                .invalidSignature,
                "Signature expired: \(amzDate) is more than 15 minutes away from \(SigV4Canonical.amzDate(now)).")
        }
    }

    /// `canonical` with its second line (the re-encoded path) replaced by `path` as it came on the wire.
    static func withPathAsSent(_ canonical: String, path: String) -> String {
        var lines = canonical.split(separator: "\n", omittingEmptySubsequences: false)
        lines[1] = Substring(path)
        return lines.joined(separator: "\n")
    }

    static func isPresigned(_ query: String) -> Bool {
        query.split(separator: "&").contains { item in
            let name = item.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return ["x-amz-signature", "x-amz-algorithm", "x-amz-credential"].contains(name.lowercased())
        }
    }

    /// `yyyyMMddTHHmmssZ` as a date; nil when malformed.
    static func parseAmzDate(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        let s = { (from: Int, to: Int) in String(decoding: b[from..<to], as: UTF8.self) }
        return Timestamp.parse("\(s(0, 4))-\(s(4, 6))-\(s(6, 8))T\(s(9, 11)):\(s(11, 13)):\(s(13, 15))Z")
    }

    static func bytes(fromHex text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count == 64 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let high = nibble(chars[i]), let low = nibble(chars[i + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }
}
