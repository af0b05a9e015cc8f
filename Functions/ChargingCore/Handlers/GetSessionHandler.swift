import FunctionRuntime

/// `GET /sessions/{sessionId}`: 200 with a ``SessionView``, 404 when unknown (or another user's, for a driver), 400
/// for a malformed id, 401 without a caller.
public struct GetSessionHandler: HTTPFunction {
    let dependencies: FunctionDependencies

    public init(_ dependencies: FunctionDependencies) { self.dependencies = dependencies }

    public func handle(_ request: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        let caller = try dependencies.caller(of: request)
        let raw = request.pathParameters?["sessionId"] ?? Self.lastPathSegment(request.rawPath)
        guard let raw, StartRequest.isValidID(raw) else {
            throw ChargingError.invalid("sessionId", "must be 1-64 characters from A-Z a-z 0-9 . _ : -")
        }
        let session = try await dependencies.service.session(id: raw, visibleTo: caller)
        return try .json(
            SessionView(session, now: dependencies.clock.nowMilliseconds(), tariff: dependencies.tariff))
    }

    /// `abc` from `/api/ChargingSessionAPI/sessions/abc`, for events without path parameters.
    static func lastPathSegment(_ path: String) -> String? {
        let parts = path.split(separator: "/")
        guard parts.count >= 2, parts[parts.count - 2] == "sessions" else { return nil }
        return String(parts[parts.count - 1])
    }
}
