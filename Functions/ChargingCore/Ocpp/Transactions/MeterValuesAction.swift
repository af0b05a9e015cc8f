import ChargingWire
import Logging

/// MeterValues: the energy register readings of a transaction's session, in timestamp order
/// (``RegisterSample``), applied as on the MQTT path; `session/updates` is published after an applied value.
/// A session started through REST that reaches its target is ended with RemoteStopTransaction (sent once, when
/// the target is crossed; it stays `Charging` until the charger's StopTransaction). Meter values without a
/// transaction, or of an unknown or stopped one, change nothing. The answer is always `{}`.
public struct MeterValuesAction: OcppActionHandler {
    public static let action = "MeterValues"
    let support: OcppTransactionSupport

    public init(_ deps: OcppDependencies) { support = OcppTransactionSupport(deps: deps) }

    public func handle(_ payload: OcppJSON, context: OcppCallContext) async throws -> OcppJSON {
        guard
            let session = try await support.chargingSession(
                transactionId: payload["transactionId"]?.int64Value, context: context)
        else {
            context.logger.debug(
                "meter values without a charging transaction ignored",
                metadata: ["chargePointId": "\(context.chargePointId)"])
            return [:]
        }
        let samples = RegisterSample.parse(payload["meterValue"]?.arrayValue ?? [])
        guard
            let latest = try await support.apply(
                samples, to: session, registration: context.registration, logger: context.logger)
        else { return [:] }
        await support.service.publishUpdate(latest, logger: context.logger)
        if session.targetEnergyWh > 0, session.energyWh < session.targetEnergyWh, latest.reachedTarget {
            await remoteStop(latest, context: context)
        }
        return [:]
    }

    /// Asks the charger to end a session that reached its target; a failure is logged (the next meter value does
    /// not retry: the driver or the operator can still stop it).
    private func remoteStop(_ session: ChargingSession, context: OcppCallContext) async {
        guard let transactionId = session.transactionId else { return }
        do {
            try await support.deps.calls.send(
                chargePointId: context.chargePointId, action: "RemoteStopTransaction",
                payload: ["transactionId": .integer(transactionId)])
            context.logger.info(
                "target reached; RemoteStopTransaction sent",
                metadata: ["sessionId": "\(session.sessionId)", "transactionId": "\(transactionId)"])
        } catch {
            context.logger.error(
                "target reached but RemoteStopTransaction failed",
                metadata: ["sessionId": "\(session.sessionId)", "error": "\(error)"])
        }
    }
}
