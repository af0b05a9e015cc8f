#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension APIGatewayV2Request {
    /// The event as JSON: byte for byte what ``JSONCoding/encoder`` writes (sorted keys, `/` unescaped), written
    /// directly instead of through the encoder's value tree (the local runner writes one per request).
    public func jsonBytes() -> [UInt8] {
        var out = JSONBytesWriter(capacity: 640 + (body?.utf8.count ?? 0))
        out.beginObject()
        if let body { out.member("body", body) }
        if let cookies {
            out.key("cookies")
            out.array(cookies)
        }
        out.key("headers")
        out.object(headers)
        out.key("isBase64Encoded")
        out.bool(isBase64Encoded)
        if let pathParameters {
            out.key("pathParameters")
            out.object(pathParameters)
        }
        if let queryStringParameters {
            out.key("queryStringParameters")
            out.object(queryStringParameters)
        }
        out.member("rawPath", rawPath)
        out.member("rawQueryString", rawQueryString)
        out.key("requestContext")
        requestContext.write(to: &out)
        out.member("routeKey", routeKey)
        if let stageVariables {
            out.key("stageVariables")
            out.object(stageVariables)
        }
        out.member("version", version)
        out.endObject()
        return out.bytes
    }
}

extension APIGatewayV2Request.Context {
    func write(to out: inout JSONBytesWriter) {
        out.beginObject()
        out.member("accountId", accountId)
        out.member("apiId", apiId)
        if let authorizer {
            out.key("authorizer")
            out.beginObject()
            if let jwt = authorizer.jwt {
                out.key("jwt")
                out.beginObject()
                out.key("claims")
                out.object(jwt.claims)
                if let scopes = jwt.scopes {
                    out.key("scopes")
                    out.array(scopes)
                }
                out.endObject()
            }
            out.endObject()
        }
        out.member("domainName", domainName)
        out.key("http")
        out.beginObject()
        out.member("method", http.method)
        out.member("path", http.path)
        out.member("protocol", http.protocol)
        out.member("sourceIp", http.sourceIp)
        out.member("userAgent", http.userAgent)
        out.endObject()
        out.member("requestId", requestId)
        out.member("routeKey", routeKey)
        out.member("stage", stage)
        out.member("time", time)
        if let timeEpoch {
            out.key("timeEpoch")
            out.integer(timeEpoch)
        }
        out.endObject()
    }
}

extension APIGatewayV2Response {
    /// The response as JSON: byte for byte what ``JSONCoding/encoder`` writes, written directly.
    public func jsonBytes() -> [UInt8] {
        var out = JSONBytesWriter(capacity: 160 + body.utf8.count)
        out.beginObject()
        out.member("body", body)
        out.key("cookies")
        out.array(cookies)
        out.key("headers")
        out.object(headers)
        out.key("isBase64Encoded")
        out.bool(isBase64Encoded)
        out.key("statusCode")
        out.integer(Int64(statusCode))
        out.endObject()
        return out.bytes
    }
}

/// Writes JSON the way ``JSONCoding/encoder`` does: no whitespace, object keys in UTF-8 byte order, `"`, `\`
/// and control characters escaped (`\b \f \n \r \t`, else `\u00xx`), everything else as it is.
struct JSONBytesWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// An object key (a plain ASCII name, nothing to escape) and its colon.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    /// A string member; nothing when the value is nil (as `encodeIfPresent`).
    mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                escape(byte)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
        needsComma = true
    }

    mutating func integer(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    mutating func array(_ values: [String]) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for value in values { string(value) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    mutating func object(_ values: [String: String]) {
        beginObject()
        for (name, value) in values.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            string(name)
            bytes.append(UInt8(ascii: ":"))
            needsComma = false
            string(value)
        }
        endObject()
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private mutating func escape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            bytes.append(contentsOf: "u00".utf8)
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0x0F)])
        }
    }
}
