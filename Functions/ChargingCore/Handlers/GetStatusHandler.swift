import FunctionRuntime

/// `GET /status[?chargingPointId=]`: the active session, else the latest one. 200 with a ``SessionView`` (`status`
/// ACTIVE or STOPPED), 404 when there is no session at all, 401 without a caller.
///
/// With a charging point any signed-in caller sees the point's state, the owner fields (`userId`, `vehicleId`) only
/// when the caller owns the session or is an operator. Without one, a driver gets their own active-or-latest session,
/// an operator everyone's (one look-up either way).
public struct GetStatusHandler: HTTPFunction {
    let dependencies: FunctionDependencies

    public init(_ dependencies: FunctionDependencies) { self.dependencies = dependencies }

    public func handle(_ request: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        let caller = try dependencies.caller(of: request)
        let chargingPointId = try QueryParameters(request).id("chargingPointId")
        let userId = chargingPointId == nil && !caller.isOperator ? caller.userId : nil
        guard let session = try await dependencies.service.current(chargingPointId: chargingPointId, userId: userId)
        else {
            let scope = chargingPointId.map { " on charging point \($0)" } ?? (userId.map { " for user \($0)" } ?? "")
            throw ChargingError(.sessionNotFound, "no charging session found\(scope)")
        }
        return try .json(
            SessionView(
                session, now: dependencies.clock.nowMilliseconds(), tariff: dependencies.tariff,
                showingOwner: caller.owns(session)))
    }
}
