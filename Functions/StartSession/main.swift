// StartSession: HTTP POST /api/ChargingSessionAPI/start (DESIGN.md §1); remote start on OCPP chargers (issue 14).
// Composition only: the logic is StartSessionHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

let variables = FunctionDependencies.environmentVariables(publishes: true) + OcppControl.environmentVariables
await FunctionMain.run(environmentVariables: variables) { env, logger in
    let dependencies = try FunctionDependencies.live(env, logger: logger, publishes: true)
    return StartSessionHandler(dependencies, ocpp: try .live(env, clock: dependencies.clock, logger: logger))
}
