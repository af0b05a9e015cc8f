// ExpireSessions: a schedule (EventBridge, SAM `Schedule` event) that stops sessions whose charger went silent.
// Composition only: the logic is ExpireSessionsHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

let variables =
    FunctionDependencies.environmentVariables(publishes: true)
    + ExpireSessionsHandler.Configuration.environmentVariables
await FunctionMain.run(environmentVariables: variables) { env, logger in
    ExpireSessionsHandler(try .live(env, logger: logger, publishes: true), configuration: try .fromEnvironment(env))
}
