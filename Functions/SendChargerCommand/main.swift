// SendChargerCommand: HTTP POST /api/ChargingSessionAPI/chargers/{chargePointId}/commands (operators; issue 14).
// Composition only: the logic is SendChargerCommandHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

await FunctionMain.run(environmentVariables: SendChargerCommandHandler.environmentVariables) { env, logger in
    try SendChargerCommandHandler.live(env, logger: logger)
}
