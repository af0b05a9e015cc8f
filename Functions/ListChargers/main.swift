// ListChargers: HTTP GET /api/ChargingSessionAPI/chargers (operators; docs/OCPP.md).
// Composition only: the logic is ListChargersHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

await FunctionMain.run(environmentVariables: ListChargersHandler.environmentVariables) { env, logger in
    try ListChargersHandler.live(env, logger: logger)
}
