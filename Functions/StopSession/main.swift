// StopSession: HTTP POST /api/ChargingSessionAPI/stop (DESIGN.md §1).
// Composition only: the logic is StopSessionHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

let variables = FunctionDependencies.environmentVariables(publishes: true)
await FunctionMain.run(environmentVariables: variables) { env, logger in
    StopSessionHandler(try .live(env, logger: logger, publishes: true))
}
