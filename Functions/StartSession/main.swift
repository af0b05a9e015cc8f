// StartSession: HTTP POST /api/ChargingSessionAPI/start (DESIGN.md §1).
// Composition only: the logic is StartSessionHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

let variables = FunctionDependencies.environmentVariables(publishes: true)
await FunctionMain.run(environmentVariables: variables) { env, logger in
    StartSessionHandler(try .live(env, logger: logger, publishes: true))
}
