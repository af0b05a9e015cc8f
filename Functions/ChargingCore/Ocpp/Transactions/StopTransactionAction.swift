import ChargingWire
import Logging

/// StopTransaction: `transactionData` applied first (``RegisterSample``), then `meterStop` as the final reading,
/// and the session stopped at the message's `timestamp` with `reason` as its stopReason (absent = `Local`),
/// priced with its own tariff and published. A stop for an unknown or already stopped transaction changes nothing
/// and still gets its answer: `{}`, with `idTagInfo` when an `idTag` is given.
public struct StopTransactionAction: OcppActionHandler {
    public static let action = "StopTransaction"
    let support: OcppTransactionSupport

    public init(_ deps: OcppDependencies) { support = OcppTransactionSupport(deps: deps) }

    public func handle(_ payload: OcppJSON, context: OcppCallContext) async throws -> OcppJSON {
        let transactionId = payload["transactionId"]?.int64Value
        if let session = try await support.chargingSession(transactionId: transactionId, context: context) {
            try await stop(session, payload: payload, context: context)
        } else {
            context.logger.info(
                "StopTransaction for an unknown or stopped transaction",
                metadata: ["chargePointId": "\(context.chargePointId)", "transactionId": "\(transactionId ?? 0)"])
        }
        guard let idTag = payload["idTag"]?.stringValue else { return [:] }
        let (status, record) = try await support.authorize(
            idTag, chargePointId: context.chargePointId, connectors: [], now: context.receivedAt)
        return ["idTagInfo": OcppTransactionSupport.idTagInfo(status, record)]
    }

    private func stop(_ session: ChargingSession, payload: OcppJSON, context: OcppCallContext) async throws {
        let endTime = OcppTransactionSupport.time(payload["timestamp"], default: context.receivedAt)
        let data = RegisterSample.parse(payload["transactionData"]?.arrayValue ?? [])
        let applied = try await support.apply(
            data, to: session, registration: context.registration, logger: context.logger)
        if let meterStop = payload["meterStop"]?.doubleValue {
            // The final reading: newer than every applied one, whatever the charger's clock said.
            let seq = max(endTime, (applied ?? session).lastMeterSeq + 1)
            _ = try await support.apply(
                [RegisterSample(at: seq, registerWh: meterStop)], to: applied ?? session,
                registration: context.registration, logger: context.logger)
        }
        let reason = Self.reason(payload["reason"]?.stringValue)
        let outcome = try await support.service.stop(
            sessionId: session.sessionId, reason: reason, at: endTime, logger: context.logger, if: { _ in true })
        context.logger.info(
            "transaction stopped",
            metadata: [
                "sessionId": "\(session.sessionId)", "transactionId": "\(session.transactionId ?? 0)",
                "reason": "\(reason.rawValue)", "energyWh": "\(outcome?.session.energyWh ?? 0)",
            ])
    }

    /// The OCPP reasons a charger may give; absent = `Local`, anything else = `Other`.
    static let reasons: [StopReason] = [
        .emergencyStop, .evDisconnected, .hardReset, .local, .other, .powerLoss, .reboot, .remote, .softReset,
        .unlockCommand, .deAuthorized,
    ]

    /// The stopReason of a StopTransaction `reason`.
    static func reason(_ text: String?) -> StopReason {
        guard let text else { return .local }
        return reasons.first { $0.rawValue == text } ?? .other
    }
}
