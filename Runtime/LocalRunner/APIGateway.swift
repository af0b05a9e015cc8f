import Essentials
import Foundation
import FunctionRuntime
import Hummingbird
import Logging

/// API Gateway HTTP API (payload format 2.0): matches requests against the template's routes, turns
/// them into events, invokes the function and maps its answer back to HTTP, as API Gateway does.
public struct APIGateway: Sendable {
    /// Largest request body accepted (API Gateway's 10 MB is more than any evcsm route needs).
    public static let maximumBodySize = 1 << 20

    public let routes: RouteTable
    let invoker: any FunctionInvoker
    let metrics: RunnerMetrics
    let logger: Logger

    public init(routes: RouteTable, invoker: any FunctionInvoker, metrics: RunnerMetrics, logger: Logger) {
        self.routes = routes
        self.invoker = invoker
        self.metrics = metrics
        self.logger = logger
    }

    /// Handles a request whose path matched `match`.
    func respond(to request: Request, match: RouteTable.Match) async -> Response {
        let requestID = UUID().uuidString.lowercased()
        var logger = self.logger
        logger[metadataKey: "requestID"] = "\(requestID)"
        let started = ContinuousClock.now
        let answer: APIGatewayV2Response
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maximumBodySize {
            answer = Self.payloadTooLarge()
        } else if let body = try? await request.body.collect(upTo: Self.maximumBodySize + 1),
            body.readableBytes <= Self.maximumBodySize
        {
            let event = Self.event(
                method: request.method.rawValue, rawPath: request.uri.path, rawQuery: request.uri.query ?? "",
                headers: request.headers.map { ($0.name.canonicalName, $0.value) }, body: Array(buffer: body),
                match: match, requestID: requestID)
            let payload = (try? RunnerJSON.encoder.encode(event)).map { [UInt8]($0) } ?? []
            let outcome = await invoker.invoke(function: match.function, payload: payload, requestID: requestID)
            answer = Self.response(for: outcome, function: match.function, requestID: requestID)
            if answer.statusCode >= 500 {
                logger.warning(
                    "\(match.route.routeKey) → \(match.function): \(outcome.label) \(answer.statusCode)")
            }
        } else {
            answer = Self.payloadTooLarge()
        }
        let elapsed = ContinuousClock.now - started
        metrics.recordRequest(route: match.route.routeKey, status: answer.statusCode, duration: elapsed)
        logger.debug("\(request.method) \(request.uri.path) \(answer.statusCode) \(elapsed)")
        var response = Self.httpResponse(answer)
        response.headers[values: HTTPHeaderField.Name("apigw-requestid")!] = [requestID]
        return response
    }

    static func payloadTooLarge() -> APIGatewayV2Response {
        .error(
            status: 413, error: "PayloadTooLarge",
            message: "Request body exceeds \(maximumBodySize) bytes")
    }

    // MARK: Event mapping (pure; unit-tested)

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
        var joined: [String: String] = [:]
        var cookies: [String] = []
        for (name, value) in headers {
            let key = name.lowercased()
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
        let epoch = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let context = APIGatewayV2Request.Context(
            accountId: "000000000000", apiId: "evcsm-local", domainName: joined["host"],
            http: .init(
                method: method.uppercased(), path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1",
                userAgent: joined["user-agent"]),
            requestId: requestID, routeKey: match.route.routeKey, stage: "$default", time: accessLogTime(now),
            timeEpoch: epoch)
        return APIGatewayV2Request(
            routeKey: match.route.routeKey, rawPath: rawPath, rawQueryString: rawQuery,
            cookies: cookies.isEmpty ? nil : cookies, headers: joined,
            queryStringParameters: query.isEmpty ? nil : query,
            pathParameters: match.pathParameters.isEmpty ? nil : match.pathParameters, requestContext: context,
            body: bodyText, isBase64Encoded: base64)
    }

    /// Maps an invocation outcome to the answer API Gateway gives.
    public static func response(
        for outcome: InvocationOutcome, function: String, requestID: String
    ) -> APIGatewayV2Response {
        switch outcome {
        case .success(let bytes):
            return functionResult(bytes)
        case .functionError:
            return .error(
                status: 500, error: "InternalServerError",
                message: "Function \(function) failed (request \(requestID))")
        case .timeout(let seconds):
            return .error(
                status: 504, error: "GatewayTimeout",
                message: "Function \(function) timed out after \(seconds) s (request \(requestID))")
        case .crashed(let reason):
            return .error(
                status: 502, error: "BadGateway",
                message: "Function \(function) crashed: \(reason) (request \(requestID))")
        case .initFailed(let reason):
            return .error(
                status: 502, error: "BadGateway",
                message: "Function \(function) failed to initialise: \(reason)")
        case .unavailable(let reason):
            return .error(status: 503, error: "ServiceUnavailable", message: "Function \(function): \(reason)")
        }
    }

    /// Interprets a function's JSON output like HTTP API format 2.0 does: an object with `statusCode` is a
    /// response; any other JSON value becomes a 200 `application/json` body.
    public static func functionResult(_ bytes: [UInt8]) -> APIGatewayV2Response {
        guard let shape = try? RunnerJSON.decoder.decode(FunctionOutputShape.self, from: Data(bytes)) else {
            return .error(status: 502, error: "BadGateway", message: "Function returned invalid JSON")
        }
        guard shape.hasStatusCode else {
            return APIGatewayV2Response(
                statusCode: 200, headers: ["content-type": "application/json"],
                body: String(decoding: bytes, as: UTF8.self))
        }
        guard let decoded = try? RunnerJSON.decoder.decode(APIGatewayV2Response.self, from: Data(bytes)) else {
            return .error(status: 502, error: "BadGateway", message: "Function returned a malformed response")
        }
        return decoded
    }

    /// Turns a format 2.0 response into HTTP: headers, one `Set-Cookie` per cookie, base64 bodies decoded.
    public static func httpResponse(_ answer: APIGatewayV2Response) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) {
            guard let field = HTTPHeaderField.Name(name) else { continue }
            headers.append(HTTPHeaderField(name: field, value: value))
        }
        for cookie in answer.cookies { headers.append(HTTPHeaderField(name: .setCookie, value: cookie)) }
        let bytes: [UInt8]
        if answer.isBase64Encoded {
            bytes = Data(base64Encoded: answer.body).map { [UInt8]($0) } ?? []
        } else {
            bytes = Array(answer.body.utf8)
        }
        let status = HTTPResponse.Status(code: answer.statusCode)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func formDecode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `requestContext.time` as API Gateway writes it: `01/Dec/2026:09:52:14 +0000` (UTC, whole seconds).
    static func accessLogTime(_ date: Date) -> String {
        let iso = Timestamp.format(date)  // yyyy-MM-ddTHH:mm:ss.SSSZ
        let month = Int(iso.dropFirst(5).prefix(2)) ?? 1
        return
            "\(iso.dropFirst(8).prefix(2))/\(monthNames[month - 1])/\(iso.prefix(4)):\(iso.dropFirst(11).prefix(8)) +0000"
    }
}

/// What a function's output is, read without decoding it: an object with a `statusCode` key (a format 2.0
/// response) or any other JSON value. Decoding fails only when the output is not JSON.
struct FunctionOutputShape: Decodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    let hasStatusCode: Bool

    init(from decoder: any Decoder) throws {
        let object = try? decoder.container(keyedBy: Key.self)
        hasStatusCode = object?.contains(Key(stringValue: "statusCode")) ?? false
    }
}

/// One HTTP header field (HTTPTypes' `HTTPField`, reached through Hummingbird's `HTTPFields`).
typealias HTTPHeaderField = HTTPFields.Element
