// ListSessions: HTTP GET /api/ChargingSessionAPI/sessions (DESIGN.md §1).
// Composition only: the logic is ListSessionsHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

let variables = FunctionDependencies.environmentVariables(publishes: false)
await FunctionMain.run(environmentVariables: variables) { env, logger in
    ListSessionsHandler(try .live(env, logger: logger, publishes: false))
}
