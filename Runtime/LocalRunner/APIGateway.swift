import CoreMetrics
import Foundation
import FunctionRuntime
import Hummingbird
import Logging
import Synchronization

/// API Gateway HTTP API (payload format 2.0): the template's routes on the runner's router, each bound to its
/// function; requests become events, the function's answer goes back to HTTP, as API Gateway does.
public struct APIGateway: Sendable {
    /// Largest request body accepted (API Gateway's 10 MB is more than any evcsm route needs).
    public static let maximumBodySize = 1 << 20

    public let routes: RouteTable
    let invoker: any FunctionInvoker
    let metrics: RunnerMetrics
    let logger: Logger
    /// The JWT authorizer of the routes the template protects; nil (or disabled, `--auth none`) checks nothing.
    let authorizer: JWTAuthorizer?

    public init(
        routes: RouteTable, invoker: any FunctionInvoker, metrics: RunnerMetrics, logger: Logger,
        authorizer: JWTAuthorizer? = nil
    ) {
        self.routes = routes
        self.invoker = invoker
        self.metrics = metrics
        self.logger = logger
        self.authorizer = authorizer?.isEnabled == true ? authorizer : nil
    }

    /// Whether requests on `route` need a token.
    func isProtected(_ route: RouteDefinition) -> Bool { authorizer != nil && routes.isProtected(route) }

    /// Registers the template's routes on `router`, after the runner's own routes: routes under a first path
    /// segment the router already serves are left out (and logged), so a template route never shadows the
    /// runner's; a GET route whose path is one of `webPaths` (the Web directory's files) serves the file.
    func addRoutes(to router: Router<BasicRequestContext>, webPaths: Set<String> = []) {
        var reserved: Set<String> = []
        for route in router.routes {
            if let first = route.path.description.split(separator: "/").first { reserved.insert(String(first)) }
        }
        let (routerRoutes, refused) = routes.routerRoutes(reservedSegments: reserved, webPaths: webPaths)
        for (route, reason) in refused {
            logger.warning("template route \(route.routeKey) is not served: \(reason)")
        }
        if authorizer != nil {
            for entry in routes.entries where !routes.isProtected(entry.route) {
                let route = entry.route
                logger.notice("template route \(route.routeKey) has no JWT authorizer (no security in DefinitionBody)")
            }
        }
        var series: [String: RouteSeries] = [:]
        for route in routerRoutes {
            switch route.target {
            case .bound(let binding):
                let key = binding.route.routeKey
                let handler = BoundRoute(
                    gateway: self, binding: binding,
                    series: series[key] ?? RouteSeries(metrics: metrics, routeKey: key),
                    webPaths: route.yieldsToWebFiles ? webPaths : nil, isProtected: isProtected(binding.route))
                series[key] = handler.series
                router.on(RouterPath(route.path), method: route.method) { request, _ in
                    try await handler.respond(to: request)
                }
            case .matched:
                let webPaths = route.yieldsToWebFiles ? webPaths : nil
                router.on(RouterPath(route.path), method: route.method) { request, _ in
                    try await self.respondMatching(request, webPaths: webPaths)
                }
            }
        }
    }

    /// A request where overlapping routes make API Gateway's choice depend on the path.
    func respondMatching(_ request: Request, webPaths: Set<String>?) async throws -> Response {
        let path = request.uri.path
        if let webPaths, webPaths.contains(RouteBinding.decoded(path[...])) { throw HTTPError(.notFound) }
        guard let match = routes.match(method: request.method.rawValue, path: path) else {
            metrics.recordUnmatchedRequest()
            throw HTTPError(.notFound)
        }
        return await respond(
            to: request, path: path, match: match,
            series: RouteSeries(metrics: metrics, routeKey: match.route.routeKey), isProtected: isProtected(match.route)
        )
    }

    static let requestIDHeader = HTTPHeaderField.Name("apigw-requestid")!

    /// Invokes the function for a request whose path matched `match`; on a protected route only with a token
    /// the authorizer accepts, whose claims go into the event.
    func respond(
        to request: Request, path: String, match: RouteTable.Match, series: RouteSeries, isProtected: Bool
    ) async -> Response {
        let requestID = RequestID.next()
        let started = ContinuousClock.now
        let answer: APIGatewayV2Response
        var claims: APIGatewayV2Request.Context.Authorizer?
        var denial: AuthorizerDenial?
        if isProtected, let authorizer {
            switch await authorizer.authorize(request.headers[.authorization], requestID: requestID) {
            case .success(let token): claims = token.authorizer
            case .failure(let reason): denial = reason
            }
        }
        if let denial {
            answer = Self.unauthorized(denial)
        } else if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maximumBodySize {
            answer = Self.payloadTooLarge()
        } else if let body = try? await request.body.collect(upTo: Self.maximumBodySize + 1),
            body.readableBytes <= Self.maximumBodySize
        {
            var event = Self.makeEvent(
                method: request.method.rawValue, rawPath: path, rawQuery: request.uri.query ?? "",
                headers: request.headers.lazy.map { ($0.name.canonicalName, $0.value) },
                body: body.readableBytesView, match: match, requestID: requestID)
            event.requestContext.authorizer = claims
            let outcome = await invoker.invoke(
                function: match.function, payload: event.jsonBytes(), requestID: requestID)
            answer = Self.response(for: outcome, function: match.function, requestID: requestID)
            if answer.statusCode >= 500 {
                logger.warning(
                    "\(match.route.routeKey) → \(match.function): \(outcome.label) \(answer.statusCode)",
                    metadata: ["requestID": "\(requestID)"])
            }
        } else {
            answer = Self.payloadTooLarge()
        }
        let elapsed = ContinuousClock.now - started
        series.record(status: answer.statusCode, duration: elapsed)
        logger.debug(
            "\(request.method) \(path) \(answer.statusCode) \(elapsed)", metadata: ["requestID": "\(requestID)"])
        var response = Self.httpResponse(answer)
        response.headers.append(HTTPHeaderField(name: Self.requestIDHeader, value: requestID))
        return response
    }

    /// API Gateway's own answer when its JWT authorizer refuses a request.
    static func unauthorized(_ denial: AuthorizerDenial) -> APIGatewayV2Response {
        APIGatewayV2Response(
            statusCode: 401,
            headers: [
                "content-type": "application/json",
                "www-authenticate": denial == .missingToken ? "Bearer" : #"Bearer error="invalid_token""#,
            ], body: #"{"message":"Unauthorized"}"#)
    }

    static func payloadTooLarge() -> APIGatewayV2Response {
        .error(
            status: 413, error: "PayloadTooLarge",
            message: "Request body exceeds \(maximumBodySize) bytes")
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
    /// response; any other JSON value becomes a 200 `application/json` body, its bytes as they are. The output is
    /// parsed once: by the direct reader when it is a response or an object (what evcsm's functions send), else by
    /// the decoder.
    public static func functionResult(_ bytes: [UInt8]) -> APIGatewayV2Response {
        switch APIGatewayV2Response.reading(output: bytes) {
        case .response(let response): return response
        case .body: return APIGatewayV2Response(jsonObjectBody: bytes)
        case .unsure: break
        }
        switch try? RunnerJSON.decoder.decode(FunctionOutput.self, from: Data(bytes)) {
        case .response(let response):
            return response
        case .other:
            return APIGatewayV2Response(
                statusCode: 200, headers: ["content-type": "application/json"],
                body: String(decoding: bytes, as: UTF8.self))
        case .malformedResponse:
            return .error(status: 502, error: "BadGateway", message: "Function returned a malformed response")
        case nil:
            return .error(status: 502, error: "BadGateway", message: "Function returned invalid JSON")
        }
    }

    /// Turns a format 2.0 response into HTTP: headers, one `Set-Cookie` per cookie, base64 bodies decoded.
    public static func httpResponse(_ answer: APIGatewayV2Response) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) {
            guard let field = HTTPHeaderField.Name(name) else { continue }
            headers.append(HTTPHeaderField(name: field, value: value))
        }
        for cookie in answer.cookies { headers.append(HTTPHeaderField(name: .setCookie, value: cookie)) }
        let body: ByteBuffer
        if let json = answer.jsonBodyBytes {
            body = ByteBuffer(bytes: json)
        } else if answer.isBase64Encoded {
            body = ByteBuffer(bytes: Data(base64Encoded: answer.body) ?? Data())
        } else {
            body = ByteBuffer(string: answer.body)
        }
        let status = HTTPResponse.Status(code: answer.statusCode)
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}

/// One router route's handler: the template route it is bound to, its metric series and, when a Web file
/// has its shape, the Web files it yields to.
struct BoundRoute: Sendable {
    let gateway: APIGateway
    let binding: RouteBinding
    let series: RouteSeries
    let webPaths: Set<String>?
    let isProtected: Bool

    func respond(to request: Request) async throws -> Response {
        let path = request.uri.path
        // The file middleware serves a Web file on the way back out of a 404.
        if let webPaths, webPaths.contains(RouteBinding.decoded(path[...])) { throw HTTPError(.notFound) }
        let match = RouteTable.Match(
            function: binding.function, route: binding.route, pathParameters: binding.pathParameters(path))
        return await gateway.respond(
            to: request, path: path, match: match, series: series, isProtected: isProtected)
    }
}

/// A route's request counter (by status) and duration histogram, looked up in the registry once.
final class RouteSeries: Sendable {
    let metrics: RunnerMetrics
    let routeKey: String
    private let handles = Mutex<(duration: CoreMetrics.Timer?, requests: [Int: CoreMetrics.Counter])>((nil, [:]))

    init(metrics: RunnerMetrics, routeKey: String) {
        self.metrics = metrics
        self.routeKey = routeKey
    }

    /// What ``RunnerMetrics/recordRequest(route:status:duration:)`` records, without the registry look-ups.
    func record(status: Int, duration: Duration) {
        let (timer, counter) = handles.withLock { handles in
            let timer = handles.duration ?? metrics.timer(.httpRequestDuration, [("route", routeKey)])
            let counter =
                handles.requests[status]
                ?? metrics.counter(.httpRequests, [("route", routeKey), ("status", String(status))])
            handles.duration = timer
            handles.requests[status] = counter
            return (timer, counter)
        }
        counter.increment()
        timer.record(duration: duration)
    }
}

/// One HTTP header field (HTTPTypes' `HTTPField`, reached through Hummingbird's `HTTPFields`).
typealias HTTPHeaderField = HTTPFields.Element
