// ChargingUpdates: MQTT charging/updates (DESIGN.md §1).
// Composition only: the logic is ChargingUpdatesHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

let variables = FunctionDependencies.environmentVariables(publishes: true)
await FunctionMain.run(environmentVariables: variables) { env, logger in
    ChargingUpdatesHandler(try .live(env, logger: logger, publishes: true))
}
