import FunctionRuntime

/// `POST /start` `{userId, vehicleId, chargingPointId, maxPower, targetCharge[, batteryCapacity, currentCharge]}`:
/// 201 with `estimatedDuration`, 400 naming the field, 409 when the charging point is busy.
public struct StartSessionHandler: HTTPFunction {
    let dependencies: FunctionDependencies

    public init(_ dependencies: FunctionDependencies) { self.dependencies = dependencies }

    public func handle(_ request: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        let start = try StartRequest.validate(try RequestBody.object(request.bodyBytes))
        let (session, estimate) = try await dependencies.service.start(start, logger: context.logger)
        return try .json(StartResponse(session, estimate: estimate), status: 201)
    }
}
