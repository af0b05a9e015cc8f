import Hummingbird

/// Turns errors thrown by routes (unknown path, bad request) into the `{error, message, timestamp}` envelope,
/// and counts the requests that matched no route at all as `route="unmatched"` (one series whatever the path,
/// so a scan of random paths cannot grow the metrics).
///
/// A request whose path is a template route's but whose method is not answers `405 Method Not Allowed` with an
/// `Allow` header listing the methods that path has (RFC 9110 §15.5.6), instead of the router's 404. That look-up
/// runs only for requests that matched nothing, never on the hot path.
struct ErrorEnvelopeMiddleware: RouterMiddleware {
    let metrics: RunnerMetrics
    /// The template's routes, for the `Allow` header; nil answers 404 for every unknown method.
    var routes: RouteTable? = nil

    func handle(
        _ request: Request, context: BasicRequestContext,
        next: (Request, BasicRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let status = Int(error.status.code)
            let name: String
            switch status {
            case 404: name = "NotFound"
            case 405: name = "MethodNotAllowed"
            case 413: name = "PayloadTooLarge"
            case 503: name = "ServiceUnavailable"
            case 400..<500: name = "BadRequest"
            default: name = "InternalServerError"
            }
            if status == 404, Self.matchedNoRoute(context), let allowed = allowedMethods(request.uri.path) {
                var response = APIGateway.httpResponse(
                    .error(
                        status: 405, error: "MethodNotAllowed",
                        message: "\(request.method) is not allowed on \(request.uri.path); allowed: \(allowed)"))
                response.headers[.allow] = allowed
                return response
            }
            if status == 404, Self.matchedNoRoute(context) { metrics.recordUnmatchedRequest() }
            let message =
                error.body ?? (status == 404 ? "No route for \(request.method) \(request.uri.path)" : "\(error.status)")
            return APIGateway.httpResponse(.error(status: status, error: name, message: message))
        }
    }

    /// First path segments the runner serves itself.
    static let runnerSegments: Set<String> = [
        "data-api", "topics", "events", "swagger", "healthz", "metrics", "_bench", "_schedules",
    ]

    /// The methods the template serves on `path` (`GET, HEAD, POST`), or nil when it serves none.
    func allowedMethods(_ path: String) -> String? {
        guard let routes else { return nil }
        // Paths under the runner's own first segments never reach a template route (APIGateway leaves those out).
        let first = path.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        guard !Self.runnerSegments.contains(first) else { return nil }
        let allowed = RouteTable.standardMethods.filter { routes.match(method: $0, path: path) != nil }
        return allowed.isEmpty ? nil : allowed.joined(separator: ", ")
    }

    /// Whether the router found no route (its not-found responder, or the file middleware, marks the
    /// endpoint `NotFound`; a route that throws 404 itself has its own path there).
    static func matchedNoRoute(_ context: BasicRequestContext) -> Bool {
        context.endpointPath == nil || context.endpointPath == "NotFound"
    }
}
