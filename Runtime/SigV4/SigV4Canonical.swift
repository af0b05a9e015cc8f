import Crypto
import Essentials
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Request headers by lower-cased name, each name's values in the order received.
public struct SigV4Headers: Sendable {
    private var values: [String: [String]] = [:]

    /// The headers as received or about to be sent.
    public init(_ headers: [(String, String)]) {
        for (name, value) in headers { values[name.lowercased(), default: []].append(value) }
    }

    /// The first value of `name` (lower-case).
    public func first(_ name: String) -> String? { values[name]?.first }

    /// `name:value1,value2` with each value trimmed and inner runs of spaces collapsed; nil when absent.
    public func canonicalLine(_ name: String) -> String? {
        guard let list = values[name] else { return nil }
        return "\(name):" + list.map(Self.canonicalValue).joined(separator: ",")
    }

    static func canonicalValue(_ value: String) -> String {
        // Most values have no space or tab at all (dates, hosts, hashes): nothing to trim or collapse.
        guard value.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 }) else { return value }
        return value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}

/// AWS Signature Version 4's canonical forms (the canonical request, URI and query, the signing key), shared by
/// the functions' signer (``SigV4Signer``) and evcsm-local's verifier, so both compute one canonicalization.
public enum SigV4Canonical {
    /// The canonical request AWS hashes into the string to sign.
    public static func canonicalRequest(
        method: String, path: String, query: String, headers: SigV4Headers, signedHeaders: [String],
        payloadHash: String
    ) -> String {
        var lines = [method.uppercased(), canonicalURI(path), canonicalQuery(query)]
        for name in signedHeaders {
            // Every signed header is present (the verifier refuses one that is not, as AWS does).
            lines.append(headers.canonicalLine(name) ?? "\(name):")
        }
        lines.append("")
        lines.append(signedHeaders.joined(separator: ";"))
        lines.append(payloadHash)
        return lines.joined(separator: "\n")
    }

    /// The path with `.`/`..` and empty segments removed (RFC 3986), each segment encoded once more.
    public static func canonicalURI(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/") {
            if segment == "." { continue }
            if segment == ".." {
                _ = segments.popLast()
                continue
            }
            segments.append(segment)
        }
        guard !segments.isEmpty else { return "/" }
        let trailing = path.hasSuffix("/") || path.hasSuffix("/.") || path.hasSuffix("/..")
        return "/" + segments.map { uriEncode(Array($0.utf8)) }.joined(separator: "/") + (trailing ? "/" : "")
    }

    /// Every `name=value` decoded, encoded the AWS way and sorted by name, then value.
    public static func canonicalQuery(_ query: String) -> String {
        let pairs = query.split(separator: "&").map { item -> (String, String) in
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = uriEncode(percentDecode(pair[0]))
            let value = pair.count > 1 ? uriEncode(percentDecode(pair[1])) : ""
            return (name, value)
        }
        return pairs.sorted {
            $0.0 == $1.0
                ? Array($0.1.utf8).lexicographicallyPrecedes($1.1.utf8)
                : Array($0.0.utf8).lexicographicallyPrecedes($1.0.utf8)
        }
        .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Percent-encodes every byte but the unreserved `A-Z a-z 0-9 - _ . ~`, with upper-case hex.
    public static func uriEncode(_ bytes: [UInt8]) -> String { PercentEncoding.encode(bytes) }

    /// `%XX` sequences decoded; a `%` not followed by two hex digits stays as it is.
    public static func percentDecode(_ text: Substring) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x25, i + 2 < bytes.count, let high = hexValue(bytes[i + 1]),
                let low = hexValue(bytes[i + 2])
            {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    /// The signing key `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    /// The last one derived is kept: a function signs every request of a day with one secret, region and
    /// service, so the four HMACs run once a day, as the AWS SDKs cache it.
    public static func signingKey(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        let scope = [secret, date, region, service]
        if let cached = lastSigningKey.withLock({ $0 }), cached.scope == scope { return cached.key }
        var key = SymmetricKey(data: Array("AWS4\(secret)".utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        lastSigningKey.withLock { $0 = (scope, key) }
        return key
    }

    /// The scope (secret, date, region, service) and key of the last ``signingKey(secret:date:region:service:)``.
    private static let lastSigningKey = Mutex<(scope: [String], key: SymmetricKey)?>(nil)

    /// `AWS4-HMAC-SHA256`, the date, the scope and the canonical request's hash, one per line.
    public static func stringToSign(amzDate: String, scope: String, canonicalRequest: String) -> String {
        ["AWS4-HMAC-SHA256", amzDate, scope, hex(SHA256.hash(data: Array(canonicalRequest.utf8)))]
            .joined(separator: "\n")
    }

    /// `date` as `yyyyMMddTHHmmssZ`.
    public static func amzDate(_ date: Date) -> String {
        let iso = Array(Timestamp.format(date).utf8)  // yyyy-MM-ddTHH:mm:ss.SSSZ
        let keep = iso[0..<19].filter { $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: ":") }
        return String(decoding: keep, as: UTF8.self) + "Z"
    }

    /// Lower-case hex of `digest`.
    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest { out += [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]] }
        return String(decoding: out, as: UTF8.self)
    }
}
