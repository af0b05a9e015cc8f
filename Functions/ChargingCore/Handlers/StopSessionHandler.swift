import FunctionRuntime

/// `POST /stop` `{sessionId}`: 200 with energy, duration and cost (idempotent: a repeat returns the stored
/// result and says it was already stopped), 400, 404 for an unknown session (and for another user's, when the caller
/// is a driver: nothing changes), 401 without a caller.
///
/// An OCPP session (`connectorId` set) is stopped through its charger
/// (``ChargingService/stopRemote(_:control:by:logger:)``): 409 `ChargerRejected` / `ChargerNotConnected` /
/// `ChargerBusy`, 504 `ChargerTimeout` (the session stays Charging), 503 without `OCPP_CONNECTIONS_ENDPOINT`.
public struct StopSessionHandler: HTTPFunction {
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
        let sessionId = try RequestFields(try RequestBody.object(request.bodyBytes), nullMeansAbsent: false).id(
            "sessionId")
        let outcome = try await stop(sessionId: sessionId, by: caller, context: context)
        return try .json(StopResponse(outcome))
    }

    private func stop(sessionId: String, by caller: Caller, context: FunctionContext) async throws -> StopOutcome {
        let service = dependencies.service
        if let ocpp {
            let session = try await service.session(id: sessionId, visibleTo: caller)
            if session.connectorId != nil {
                return try await service.stopRemote(session, control: ocpp, by: caller, logger: context.logger)
            }
            return try await service.stop(session, by: caller, logger: context.logger)
        }
        return try await service.stop(sessionId: sessionId, by: caller, logger: context.logger)
    }
}
