// GetStatus: HTTP GET /api/ChargingSessionAPI/status (DESIGN.md §1).
// Composition only: the logic is GetStatusHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

let variables = FunctionDependencies.environmentVariables(publishes: false)
await FunctionMain.run(environmentVariables: variables) { env, logger in
    GetStatusHandler(try .live(env, logger: logger, publishes: false))
}
