import Hummingbird

/// Turns errors thrown by routes (unknown path, bad request) into the `{error, message, timestamp}` envelope,
/// and counts the requests that matched no route at all as `route="unmatched"` (one series whatever the path,
/// so a scan of random paths cannot grow the metrics).
struct ErrorEnvelopeMiddleware: RouterMiddleware {
    let metrics: RunnerMetrics

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
            if status == 404, Self.matchedNoRoute(context) { metrics.recordUnmatchedRequest() }
            let message =
                error.body ?? (status == 404 ? "No route for \(request.method) \(request.uri.path)" : "\(error.status)")
            return APIGateway.httpResponse(.error(status: status, error: name, message: message))
        }
    }

    /// Whether the router found no route (its not-found responder, or the file middleware, marks the
    /// endpoint `NotFound`; a route that throws 404 itself has its own path there).
    static func matchedNoRoute(_ context: BasicRequestContext) -> Bool {
        context.endpointPath == nil || context.endpointPath == "NotFound"
    }
}
