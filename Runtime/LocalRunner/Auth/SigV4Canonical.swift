import Essentials

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=AK/date/region/service/aws4_request,
/// SignedHeaders=a;b, Signature=hex`.
struct SigV4Authorization: Sendable, Equatable {
    var accessKey: String
    var date: String
    var region: String
    var service: String
    var terminator: String
    var signedHeaders: [String]
    var signature: String

    /// `date/region/service/aws4_request`, as the string to sign carries it.
    var scope: String { "\(date)/\(region)/\(service)/\(terminator)" }

    init(parsing header: String) throws(SigV4Error) {
        let prefix = "AWS4-HMAC-SHA256 "
        guard header.hasPrefix(prefix) else {
            throw SigV4Error(.incompleteSignature, "Unsupported Authorization algorithm; expected AWS4-HMAC-SHA256")
        }
        var parts: [String: String] = [:]
        for item in header.dropFirst(prefix.count).split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            parts[pair[0].trimmingSpaces()] = pair[1].trimmingSpaces()
        }
        guard let credential = parts["Credential"], let signed = parts["SignedHeaders"],
            let signature = parts["Signature"]
        else {
            throw SigV4Error(
                .incompleteSignature,
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.")
        }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, !scope[0].isEmpty else {
            throw SigV4Error(
                .incompleteSignature,
                "Credential must have the form <key>/<date>/<region>/<service>/aws4_request.")
        }
        accessKey = scope[0]
        date = scope[1]
        region = scope[2]
        service = scope[3]
        terminator = scope[4]
        signedHeaders = signed.split(separator: ";").map { String($0) }
        self.signature = signature
    }
}

/// Request headers by lower-cased name, each name's values in the order received.
struct SigV4Headers: Sendable {
    private var values: [String: [String]] = [:]

    init(_ headers: [(String, String)]) {
        for (name, value) in headers { values[name.lowercased(), default: []].append(value) }
    }

    func first(_ name: String) -> String? { values[name]?.first }

    /// `name:value1,value2` with each value trimmed and inner runs of spaces collapsed; nil when absent.
    func canonicalLine(_ name: String) -> String? {
        guard let list = values[name] else { return nil }
        return "\(name):" + list.map(Self.canonicalValue).joined(separator: ",")
    }

    static func canonicalValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}

extension SigV4Verifier {
    /// The canonical request AWS hashes into the string to sign.
    static func canonicalRequest(
        method: String, path: String, query: String, headers: SigV4Headers, signedHeaders: [String],
        payloadHash: String
    ) -> String {
        var lines = [method.uppercased(), canonicalURI(path), canonicalQuery(query)]
        for name in signedHeaders {
            // Every signed header is present (``verify(method:path:query:headers:body:now:)`` refuses one that is
            // not, as AWS does).
            lines.append(headers.canonicalLine(name) ?? "\(name):")
        }
        lines.append("")
        lines.append(signedHeaders.joined(separator: ";"))
        lines.append(payloadHash)
        return lines.joined(separator: "\n")
    }

    /// The path with `.`/`..` and empty segments removed (RFC 3986), each segment encoded once more.
    static func canonicalURI(_ path: String) -> String {
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
    static func canonicalQuery(_ query: String) -> String {
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
    static func uriEncode(_ bytes: [UInt8]) -> String { PercentEncoding.encode(bytes) }

    /// `%XX` sequences decoded; a `%` not followed by two hex digits stays as it is.
    static func percentDecode(_ text: Substring) -> [UInt8] {
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
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
