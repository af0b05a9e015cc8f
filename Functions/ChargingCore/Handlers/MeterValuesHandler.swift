import ChargingWire
import FunctionRuntime

/// `chargers/{chargingPointId}/meter` `{sessionId, energyWh, timestamp, seq}`: energy never goes backwards,
/// duplicate and out-of-order `seq` are ignored, the session stops by itself (`TargetReached`) at its target
/// energy, and every change is published on `session/updates`. Malformed payloads are logged and dropped.
public struct MeterValuesHandler: TopicFunction {
    let dependencies: FunctionDependencies

    public init(_ dependencies: FunctionDependencies) { self.dependencies = dependencies }

    public func handle(_ message: TopicMessage, context: FunctionContext) async throws -> NoOutput {
        let logger = context.logger
        guard let chargingPointId = Topics.meterChargingPoint(message.topic),
            StartRequest.isValidID(chargingPointId)
        else {
            logger.warning("message on an unexpected topic dropped", metadata: ["topic": "\(message.topic)"])
            return NoOutput()
        }
        guard let reading = message.parsedOrDropped(logger: logger, MeterReading.parse) else { return NoOutput() }
        _ = try await dependencies.service.record(reading, chargingPointId: chargingPointId, logger: logger)
        return NoOutput()
    }
}
