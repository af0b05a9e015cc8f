import FunctionRuntime

/// `charging/updates`: `"Charging"` / `"Stopped"` as plain text or JSON, same rules as `/start` and `/stop`,
/// with missing fields taken from the configured defaults. A `Stopped` naming both a session and a charging
/// point stops the session only when it is on that point (otherwise it is logged and dropped). Malformed payloads and requests the domain
/// refuses (busy point, unknown session) are logged with the topic and dropped; store failures are thrown
/// so the platform retries.
public struct ChargingUpdatesHandler: TopicFunction {
    let dependencies: FunctionDependencies

    public init(_ dependencies: FunctionDependencies) { self.dependencies = dependencies }

    public func handle(_ message: TopicMessage, context: FunctionContext) async throws -> NoOutput {
        let logger = context.logger
        guard
            let command = message.parsedOrDropped(
                logger: logger,
                { payload throws(ChargingError) in
                    try ChargingCommand.parse(payload, defaults: dependencies.defaults)
                })
        else { return NoOutput() }
        let service = dependencies.service
        do {
            switch command {
            case .start(let request):
                _ = try await service.start(request, logger: logger)
            case .stop(let sessionId, let chargingPointId):
                if try await service.stop(sessionId: sessionId, onChargingPoint: chargingPointId, logger: logger) == nil
                {
                    logger.warning(
                        "stop dropped: the session is on another charging point",
                        metadata: [
                            "topic": "\(message.topic)", "sessionId": "\(sessionId)",
                            "chargingPointId": "\(chargingPointId ?? "")",
                        ])
                }
            case .stopActive(let chargingPointId):
                if try await service.stopActive(chargingPointId: chargingPointId, logger: logger) == nil {
                    logger.info(
                        "nothing to stop",
                        metadata: ["topic": "\(message.topic)", "chargingPointId": "\(chargingPointId)"])
                }
            }
        } catch let error as ChargingError where error.httpStatus < 500 {
            logger.warning("message refused", metadata: ["topic": "\(message.topic)", "error": "\(error.message)"])
        }
        return NoOutput()
    }
}
