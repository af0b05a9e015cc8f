import FunctionRuntime

/// `POST /start` `{userId?, vehicleId, chargingPointId, maxPower, targetCharge[, batteryCapacity, currentCharge]}`:
/// 201 with `estimatedDuration`, 400 naming the field, 409 when the charging point is busy, 401 without a caller.
/// An absent `userId` is the caller's `sub`; a driver naming another user is a 403 and nothing is written.
public struct StartSessionHandler: HTTPFunction {
    let dependencies: FunctionDependencies

    public init(_ dependencies: FunctionDependencies) { self.dependencies = dependencies }

    public func handle(_ request: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        let caller = try dependencies.caller(of: request)
        let start = try StartRequest.validate(try RequestBody.object(request.bodyBytes), userId: caller.userId)
        try caller.requireSelf(start.userId, "start a session for another user")
        let (session, estimate) = try await dependencies.service.start(start, logger: context.logger)
        return try .json(StartResponse(session, estimate: estimate), status: 201)
    }
}
