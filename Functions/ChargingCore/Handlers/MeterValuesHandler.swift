import ChargingWire
import FunctionRuntime

/// `chargers/{chargingPointId}/meter` `{sessionId, energyWh, timestamp, seq}` through an SQS queue (the IoT rule's
/// SQS action, then the event source mapping): a batch of messages whose bodies are the rule's `{data, topic, ts}`.
///
/// Energy never goes backwards, duplicate and out-of-order `seq` are ignored, the session stops by itself
/// (`TargetReached`) at its target energy, and every changed session is published once on `session/updates`
/// (``ChargingService/record(batch:logger:)``: per session in `seq` order, one store write per session in the usual
/// case). Malformed messages are logged and dropped; messages whose store write failed are returned in
/// `batchItemFailures`, so only those are retried.
public struct MeterValuesHandler: QueueFunction {
    let dependencies: FunctionDependencies

    public init(_ dependencies: FunctionDependencies) { self.dependencies = dependencies }

    public func handle(_ event: SQSEvent, context: FunctionContext) async throws -> SQSBatchResponse {
        let logger = context.logger
        let items = event.records.compactMap { $0.meterBatchItem(logger: logger) }
        let outcome = await dependencies.service.record(batch: items, logger: logger)
        return SQSBatchResponse(failedMessageIDs: outcome.failedItems)
    }
}
