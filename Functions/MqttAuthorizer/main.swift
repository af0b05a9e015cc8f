// MqttAuthorizer: the AWS IoT custom authorizer of charging points' MQTT sign-ins (cloud; DESIGN.md §2).
// Composition only: the logic is MqttAuthorizerHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

await FunctionMain.run(environmentVariables: MqttAuthorizerHandler.environmentVariables) { env, logger in
    try MqttAuthorizerHandler.live(env, logger: logger)
}
