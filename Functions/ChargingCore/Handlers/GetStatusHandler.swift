import FunctionRuntime

/// `GET /status[?chargingPointId=]`: the active session (of the point, or any), else the latest one.
/// 200 with a ``SessionView`` (`status` ACTIVE or STOPPED), 404 when there is no session at all.
public struct GetStatusHandler: HTTPFunction {
    let dependencies: FunctionDependencies

    public init(_ dependencies: FunctionDependencies) { self.dependencies = dependencies }

    public func handle(_ request: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        let chargingPointId = try QueryParameters(request).id("chargingPointId")
        guard let session = try await dependencies.service.current(chargingPointId: chargingPointId) else {
            let scope = chargingPointId.map { " on charging point \($0)" } ?? ""
            throw ChargingError(.sessionNotFound, "no charging session found\(scope)")
        }
        return try .json(
            SessionView(session, now: dependencies.clock.nowMilliseconds(), tariff: dependencies.tariff))
    }
}
