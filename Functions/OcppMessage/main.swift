// OcppMessage: the OCPP WebSocket API's $default route (docs/OCPP.md).
// Composition only: the logic is OcppMessageHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

await FunctionMain.run(environmentVariables: OcppDependencies.environmentVariables) { env, logger in
    try OcppMessageHandler.live(env, logger: logger)
}
