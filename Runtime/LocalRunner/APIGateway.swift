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
            let payload = (try? JSONCoding.encoder.encode(event)).map { [UInt8]($0) } ?? []
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
        let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        if let dictionary = object as? [String: Any], dictionary["statusCode"] != nil {
            if let decoded = try? JSONCoding.decoder.decode(APIGatewayV2Response.self, from: Data(bytes)) {
                return decoded
            }
            return .error(status: 502, error: "BadGateway", message: "Function returned a malformed response")
        }
        guard object != nil else {
            return .error(status: 502, error: "BadGateway", message: "Function returned invalid JSON")
        }
        return APIGatewayV2Response(
            statusCode: 200, headers: ["content-type": "application/json"],
            body: String(decoding: bytes, as: UTF8.self))
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

    static func accessLogTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd/MMM/yyyy:HH:mm:ss Z"
        return formatter.string(from: date)
    }
}

/// The template's HttpApi routes, matched like API Gateway: literal segments beat `{param}`, which beat
/// greedy `{param+}`; a route's method must match or be `ANY`.
public struct RouteTable: Sendable {
    /// A matched route with its decoded path parameters.
    public struct Match: Sendable, Equatable {
        public var function: String
        public var route: RouteDefinition
        public var pathParameters: [String: String]

        public init(function: String, route: RouteDefinition, pathParameters: [String: String] = [:]) {
            self.function = function
            self.route = route
            self.pathParameters = pathParameters
        }
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        case greedy(String)
    }

    struct Entry: Sendable {
        var function: String
        var route: RouteDefinition
        var segments: [Segment]
        var rank: [Int]
    }

    let entries: [Entry]

    public init(template: TemplateModel) {
        entries = template.routes.map { function, route in
            let segments = route.path.split(separator: "/").map { part -> Segment in
                if part.hasPrefix("{") && part.hasSuffix("+}") { return .greedy(String(part.dropFirst().dropLast(2))) }
                if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
                return .literal(String(part))
            }
            let rank = segments.map { s -> Int in
                switch s {
                case .literal: return 0
                case .parameter: return 1
                case .greedy: return 2
                }
            }
            return Entry(
                function: function, route: route, segments: segments, rank: rank + [route.method == "ANY" ? 1 : 0])
        }
        .sorted { $0.rank.lexicographicallyPrecedes($1.rank) }
    }

    /// The first route that matches, or nil (API Gateway's 404).
    public func match(method: String, path: String) -> Match? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let method = method.uppercased()
        for entry in entries
        where entry.route.method == method || entry.route.method == "ANY"
            || (method == "HEAD" && entry.route.method == "GET")
        {
            if let parameters = Self.bind(entry.segments, parts) {
                return Match(function: entry.function, route: entry.route, pathParameters: parameters)
            }
        }
        return nil
    }

    static func bind(_ segments: [Segment], _ parts: [String]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (i, segment) in segments.enumerated() {
            switch segment {
            case .greedy(let name):
                guard i < parts.count else { return nil }
                parameters[name] =
                    parts[i...].joined(separator: "/").removingPercentEncoding ?? parts[i...].joined(separator: "/")
                return parameters
            case .literal(let text):
                guard i < parts.count, parts[i] == text else { return nil }
            case .parameter(let name):
                guard i < parts.count else { return nil }
                parameters[name] = parts[i].removingPercentEncoding ?? parts[i]
            }
        }
        return segments.count == parts.count ? parameters : nil
    }
}

/// One HTTP header field (HTTPTypes' `HTTPField`, reached through Hummingbird's `HTTPFields`).
typealias HTTPHeaderField = HTTPFields.Element
