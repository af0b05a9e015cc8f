import FunctionRuntime

/// `POST /stop` `{sessionId}`: 200 with energy, duration and cost (idempotent: a repeat returns the stored
/// result and says it was already stopped), 400, 404 for an unknown session (and for another user's, when the caller
/// is a driver: nothing changes), 401 without a caller.
public struct StopSessionHandler: HTTPFunction {
    let dependencies: FunctionDependencies

    public init(_ dependencies: FunctionDependencies) { self.dependencies = dependencies }

    public func handle(_ request: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        let caller = try dependencies.caller(of: request)
        let sessionId = try RequestFields(try RequestBody.object(request.bodyBytes), nullMeansAbsent: false).id(
            "sessionId")
        let outcome = try await dependencies.service.stop(sessionId: sessionId, by: caller, logger: context.logger)
        return try .json(StopResponse(outcome))
    }
}
