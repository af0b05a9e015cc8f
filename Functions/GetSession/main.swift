// GetSession: HTTP GET /api/ChargingSessionAPI/sessions/{sessionId} (DESIGN.md §1).
// Composition only: the logic is GetSessionHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

let variables = FunctionDependencies.environmentVariables(publishes: false)
await FunctionMain.run(environmentVariables: variables) { env, logger in
    GetSessionHandler(try .live(env, logger: logger, publishes: false))
}
