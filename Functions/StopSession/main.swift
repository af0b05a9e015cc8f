// StopSession: HTTP POST /api/ChargingSessionAPI/stop (DESIGN.md §1); remote stop on OCPP chargers (issue 14).
// Composition only: the logic is StopSessionHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

let variables = FunctionDependencies.environmentVariables(publishes: true) + OcppControl.environmentVariables
await FunctionMain.run(environmentVariables: variables) { env, logger in
    let dependencies = try FunctionDependencies.live(env, logger: logger, publishes: true)
    return StopSessionHandler(dependencies, ocpp: try .live(env, clock: dependencies.clock, logger: logger))
}
