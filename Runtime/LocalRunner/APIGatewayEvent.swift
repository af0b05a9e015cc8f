import Essentials
import Foundation
import FunctionRuntime
import Synchronization

// MARK: Event mapping (pure; unit-tested)

extension APIGateway {
    /// Content types API Gateway passes as text; everything else is base64-encoded.
    static func isTextual(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return true }
        return type.hasPrefix("text/") || type.contains("json") || type.contains("xml")
            || type.contains("javascript") || type.hasPrefix("application/x-www-form-urlencoded")
    }

    /// Builds the HTTP API v2 event for a request.
    public static func event(
        method: String, rawPath: String, rawQuery: String, headers: [(String, String)], body: [UInt8],
        match: RouteTable.Match, requestID: String, now: Date = Date()
    ) -> APIGatewayV2Request {
        makeEvent(
            method: method, rawPath: rawPath, rawQuery: rawQuery, headers: headers, body: body, match: match,
            requestID: requestID, now: now)
    }

    /// ``event(method:rawPath:rawQuery:headers:body:match:requestID:now:)`` over any header sequence and body
    /// bytes (the request's own `HTTPFields` and `ByteBuffer`, without copying them first).
    static func makeEvent<Headers: Sequence, Body: Collection>(
        method: String, rawPath: String, rawQuery: String, headers: Headers, body: Body,
        match: RouteTable.Match, requestID: String, now: Date = Date()
    ) -> APIGatewayV2Request where Headers.Element == (String, String), Body.Element == UInt8 {
        var joined: [String: String] = [:]
        var cookies: [String] = []
        for (name, value) in headers {
            let key = name.utf8.contains(where: { $0 &- UInt8(ascii: "A") < 26 }) ? name.lowercased() : name
            if key == "cookie" {
                cookies += value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                continue
            }
            joined[key] = joined[key].map { "\($0),\(value)" } ?? value
        }
        var query: [String: String] = [:]
        for pair in rawQuery.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.formDecode(parts[0])
            let value = parts.count > 1 ? Self.formDecode(parts[1]) : ""
            query[name] = query[name].map { "\($0),\(value)" } ?? value
        }
        var bodyText: String?
        var base64 = false
        if !body.isEmpty {
            if isTextual(joined["content-type"]), let text = String(validating: body, as: UTF8.self) {
                bodyText = text
            } else {
                bodyText = Data(body).base64EncodedString()
                base64 = true
            }
        }
        let epoch = Timestamp.milliseconds(now)
        let context = APIGatewayV2Request.Context(
            accountId: "000000000000", apiId: "evcsm-local", domainName: joined["host"],
            http: .init(
                method: method.uppercased(), path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1",
                userAgent: joined["user-agent"]),
            requestId: requestID, routeKey: match.route.routeKey, stage: "$default",
            time: accessLogTime(milliseconds: epoch), timeEpoch: epoch)
        return APIGatewayV2Request(
            routeKey: match.route.routeKey, rawPath: rawPath, rawQueryString: rawQuery,
            cookies: cookies.isEmpty ? nil : cookies, headers: joined,
            queryStringParameters: query.isEmpty ? nil : query,
            pathParameters: match.pathParameters.isEmpty ? nil : match.pathParameters, requestContext: context,
            body: bodyText, isBase64Encoded: base64)
    }

    /// A query string name or value decoded like a form field (`+` is a space, then percent-decoding).
    static func formDecode(_ part: Substring) -> String {
        guard part.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else {
            return String(part)
        }
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The last second's `requestContext.time`: every request in the same second shares it.
    static let lastAccessLogTime = Mutex<(second: Int64, text: String)>((.min, ""))

    /// `requestContext.time` as API Gateway writes it: `01/Dec/2026:09:52:14 +0000` (UTC, whole seconds).
    static func accessLogTime(_ date: Date) -> String {
        accessLogTime(milliseconds: Timestamp.milliseconds(date))
    }

    static func accessLogTime(milliseconds: Int64) -> String {
        let second = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        if let text = lastAccessLogTime.withLock({ $0.second == second ? $0.text : nil }) { return text }
        let iso = Timestamp.format(milliseconds: second * 1000)  // yyyy-MM-ddTHH:mm:ss.SSSZ
        let month = Int(iso.dropFirst(5).prefix(2)) ?? 1
        let text =
            "\(iso.dropFirst(8).prefix(2))/\(monthNames[month - 1])/\(iso.prefix(4)):\(iso.dropFirst(11).prefix(8)) +0000"
        lastAccessLogTime.withLock { $0 = (second, text) }
        return text
    }
}

/// Request ids in the UUID form API Gateway and Lambda use, made without a random number per request: a random
/// 64-bit prefix drawn once per process, then a counter scrambled by a bijection (unique within the process).
enum RequestID {
    static let prefix: UInt64 = (UInt64.random(in: .min ... .max) & ~0xF000) | 0x4000  // version 4
    static let counter = Atomic<UInt64>(0)

    /// The next id, e.g. `3f2a9c1e-77b0-4d21-9a4e-0c5b8e7f6a12`.
    static func next() -> String {
        let count = counter.add(1, ordering: .relaxed).newValue
        let low = (scramble(count) & ~(0b11 << 62)) | (0b10 << 62)  // RFC 4122 variant
        return format(high: prefix, low: low)
    }

    /// SplitMix64's finaliser: a bijection on 64 bits, so distinct counts give distinct values.
    static func scramble(_ value: UInt64) -> UInt64 {
        var z = value &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func format(high: UInt64, low: UInt64) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { buffer in
            digits.withUTF8Buffer { hex in
                var position = 0
                func put(_ value: UInt64, nibbles: Int) {
                    for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                        buffer[position] = hex[Int((value >> UInt64(shift)) & 0xF)]
                        position += 1
                    }
                }
                func dash() {
                    buffer[position] = UInt8(ascii: "-")
                    position += 1
                }
                put(high >> 32, nibbles: 8)
                dash()
                put(high >> 16, nibbles: 4)
                dash()
                put(high, nibbles: 4)
                dash()
                put(low >> 48, nibbles: 4)
                dash()
                put(low, nibbles: 12)
            }
            return 36
        }
    }
}
