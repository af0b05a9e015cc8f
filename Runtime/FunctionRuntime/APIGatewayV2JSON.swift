import Essentials

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
        var out: JSONBytesWriter
        switch storedBody {
        case .text(let text):
            // Room for the body's escapes too (a JSON body escapes a quote in every few bytes): no regrowth.
            let bodyBytes = text.utf8.count
            out = JSONBytesWriter(capacity: 160 + bodyBytes + bodyBytes / 4)
            out.beginObject()
            out.member("body", text)
        case .escapedJSON(let escaped):
            out = JSONBytesWriter(capacity: 160 + escaped.count)
            out.beginObject()
            out.key("body")
            out.escapedString(escaped)
        case .json(let json):
            out = JSONBytesWriter(capacity: 160 + json.count + json.count / 4)
            out.beginObject()
            out.key("body")
            out.string(utf8: json)
        }
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

extension APIGatewayV2Response {
    /// What an HTTP function sends as its output. HTTP API payload format 2.0 takes an output that is a JSON object
    /// without `statusCode` as the body of a 200 `application/json` answer, so a response that is exactly that (a
    /// body written by ``json(_:status:)-(JSONBytesEncodable,_)``, no other header, no cookie) goes out as its body
    /// alone: written once, never escaped into a string and unescaped again. Any other response is ``jsonBytes()``.
    public func outputBytes() -> [UInt8] {
        if case .json(let json) = storedBody, statusCode == 200, !isBase64Encoded, cookies.isEmpty,
            headers.count == 1, headers["content-type"] == "application/json"
        {
            return json
        }
        return jsonBytes()
    }

    /// A 200 `application/json` response whose body is `json`, a JSON object without a top-level `statusCode`
    /// (what API Gateway makes of such an output).
    public init(jsonObjectBody json: [UInt8]) {
        self.init(statusCode: 200, headers: ["content-type": "application/json"])
        storedBody = .json(json)
    }

    /// The body's UTF-8 when it is held as bytes (a JSON body), else nil: read ``body`` then.
    public var jsonBodyBytes: [UInt8]? {
        guard case .json(let json) = storedBody else { return nil }
        return json
    }
}

/// What ``APIGatewayV2Response`` holds as its body.
enum ResponseBody: Encodable, Sendable, Equatable {
    case text(String)
    /// A JSON text written as the content of a JSON string (``JSONBytesWriter/init(capacity:asStringContent:)``):
    /// the response's JSON carries it as it is, without a second escaping pass over the whole body.
    case escapedJSON([UInt8])

    /// A JSON object without a top-level `statusCode` (UTF-8): with a 200 and only `content-type:
    /// application/json`, the function's whole output (see ``APIGatewayV2Response/outputBytes()``).
    case json([UInt8])

    /// The body text (for an escaped body, decoded: only callers other than the invocation path read it).
    var text: String {
        switch self {
        case .text(let text): return text
        case .json(let json): return String(decoding: json, as: UTF8.self)
        case .escapedJSON(let escaped):
            var scanner = JSONScanner([UInt8(ascii: "\"")] + escaped + [UInt8(ascii: "\"")])
            // The writer escaped it, so it decodes; the fallback only keeps the getter total.
            return (try? scanner.string()) ?? String(decoding: escaped, as: UTF8.self)
        }
    }

    /// As the body's text.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }

    /// Equal when the texts are.
    static func == (a: ResponseBody, b: ResponseBody) -> Bool { a.text == b.text }
}
