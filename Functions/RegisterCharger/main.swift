// RegisterCharger: HTTP POST /api/ChargingSessionAPI/chargers (operators; DESIGN.md §1).
// Composition only: the logic is RegisterChargerHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

await FunctionMain.run(environmentVariables: RegisterChargerHandler.environmentVariables) { env, logger in
    try RegisterChargerHandler.live(env, logger: logger)
}
