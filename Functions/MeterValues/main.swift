// MeterValues: MQTT chargers/+/meter through the MeterReadingsQueue SQS queue, in batches (DESIGN.md §1).
// Composition only: the logic is MeterValuesHandler in ChargingCore.
import ChargingCore
import FunctionRuntime

let variables = FunctionDependencies.environmentVariables(publishes: true)
await FunctionMain.run(environmentVariables: variables) { env, logger in
    MeterValuesHandler(try .live(env, logger: logger, publishes: true))
}
