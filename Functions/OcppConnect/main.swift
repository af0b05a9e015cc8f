// OcppConnect: the OCPP WebSocket API's $connect route (docs/OCPP.md).
// Composition only: the logic is OcppConnectHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

await FunctionMain.run(environmentVariables: OcppDependencies.environmentVariables) { env, logger in
    try OcppConnectHandler.live(env, logger: logger)
}
