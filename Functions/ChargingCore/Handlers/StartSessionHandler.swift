import FunctionRuntime

/// `POST /start` `{userId?, vehicleId, chargingPointId, maxPower, targetCharge[, batteryCapacity, currentCharge,
/// connectorId]}`: 201 with `estimatedDuration`, 400 naming the field, 409 when the charging point is busy, 401
/// without a caller. An absent `userId` is the caller's `sub`; a driver naming another user is a 403 and nothing is
/// written.
///
/// On an OCPP charger (its registration says `ocpp: true`) the start is remote
/// (``ChargingService/startRemote(_:registration:control:logger:)``): 409 `ChargerRejected`, 409
/// `ChargerNotConnected`, 409 `ChargerBusy`, 504 `ChargerTimeout`, and 503 when the function has no
/// `OCPP_CONNECTIONS_ENDPOINT`. Without ``OcppControl`` every point is started as before.
public struct StartSessionHandler: HTTPFunction {
    let dependencies: FunctionDependencies
    let ocpp: OcppControl?

    /// A handler that starts and stops every point without OCPP (as before issue 14).
    public init(_ dependencies: FunctionDependencies) { self.init(dependencies, ocpp: nil) }

    /// A handler that drives OCPP chargers through `ocpp`.
    public init(_ dependencies: FunctionDependencies, ocpp: OcppControl?) {
        self.dependencies = dependencies
        self.ocpp = ocpp
    }

    public func handle(_ request: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        let caller = try dependencies.caller(of: request)
        let start = try StartRequest.validate(try RequestBody.object(request.bodyBytes), userId: caller.userId)
        try caller.requireSelf(start.userId, "start a session for another user")
        let service = dependencies.service
        let (session, estimate) =
            if let ocpp, let registration = try await ocpp.ocppRegistration(start.chargingPointId) {
                try await service.startRemote(start, registration: registration, control: ocpp, logger: context.logger)
            } else {
                try await service.start(start, logger: context.logger)
            }
        return try .json(StartResponse(session, estimate: estimate), status: 201)
    }
}
