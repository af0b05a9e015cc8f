// PutIdTag: HTTP PUT /api/ChargingSessionAPI/idtags/{idTag} (operators; docs/OCPP.md "Transactions").
// Composition only: the logic is PutIdTagHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

await FunctionMain.run(environmentVariables: PutIdTagHandler.environmentVariables) { env, logger in
    try PutIdTagHandler.live(env, logger: logger)
}
