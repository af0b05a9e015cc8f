// OcppDisconnect: the OCPP WebSocket API's $disconnect route (docs/OCPP.md).
// Composition only: the logic is OcppDisconnectHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

await FunctionMain.run(environmentVariables: OcppDependencies.environmentVariables) { env, logger in
    try OcppDisconnectHandler.live(env, logger: logger)
}
