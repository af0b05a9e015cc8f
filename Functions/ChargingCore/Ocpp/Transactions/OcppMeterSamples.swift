import ChargingWire
import FunctionRuntime
import Logging

/// One reading of the energy register (`Energy.Active.Import.Register`) from an OCPP `MeterValue`.
struct RegisterSample: Sendable, Hashable {
    /// The sample's timestamp (ms); also its meter `seq`, so late queued values apply in order and older ones are
    /// ignored.
    var at: Int64
    /// The register, Wh.
    var registerWh: Double

    /// The measurand read (also when `measurand` is absent, its default).
    static let measurand = "Energy.Active.Import.Register"

    /// The register readings of `meterValues` (a MeterValues `meterValue` or a StopTransaction `transactionData`),
    /// oldest first (a tie keeps the message order): per meter value the first sampled value of the measurand that
    /// is not per phase, in `Wh` or `kWh` (absent = Wh), whose `value` string is a number (decimals tolerated);
    /// any `context` (Sample.Periodic, Transaction.Begin, …). Signed data and other units are skipped.
    static func parse(_ meterValues: [OcppJSON]) -> [RegisterSample] {
        var samples: [(Int, RegisterSample)] = []
        for (index, meterValue) in meterValues.enumerated() {
            guard let at = meterValue["timestamp"]?.stringValue.flatMap(OcppSchemas.parseDateTime),
                let sampled = meterValue["sampledValue"]?.arrayValue,
                let registerWh = sampled.lazy.compactMap(registerWh).first
            else { continue }
            samples.append((index, RegisterSample(at: at, registerWh: registerWh)))
        }
        return samples.sorted { $0.1.at != $1.1.at ? $0.1.at < $1.1.at : $0.0 < $1.0 }.map(\.1)
    }

    /// The register in Wh of one sampled value, or nil when it is not an unphased energy register reading.
    private static func registerWh(_ sampled: OcppJSON) -> Double? {
        guard (sampled["measurand"]?.stringValue ?? measurand) == measurand, sampled["phase"] == nil,
            (sampled["format"]?.stringValue ?? "Raw") == "Raw",
            let text = sampled["value"]?.stringValue,
            let value = Double(text), value.isFinite
        else { return nil }
        switch sampled["unit"]?.stringValue ?? "Wh" {
        case "Wh": return value
        case "kWh": return value * 1000
        default: return nil
        }
    }
}

extension OcppTransactionSupport {
    /// Applies register readings to the `Charging` session `session` in order: energy = register − meterStart
    /// (never negative; the store keeps the higher of it and the stored energy), seq = the sample's time, each
    /// checked against the power of the session's connector (``MeterPlausibility/energyRejection(_:session:now:)``
    /// on the server clock). Rejected ones are logged, counted on the session and reported as the
    /// `RejectedReadings` metric, as on the MQTT path. Returns the session after the last applied reading, nil when
    /// none applied.
    func apply(
        _ samples: [RegisterSample], to session: ChargingSession, registration: ChargerRegistration, logger: Logger
    ) async throws -> ChargingSession? {
        let charging = deps.charging
        let now = charging.clock.nowMilliseconds()
        var bounds = session
        bounds.maxPower = maxPower(connectorId: session.connectorId ?? 1, registration: registration)
        let meterStart = Double(session.meterStartWh ?? 0)
        var latest: ChargingSession?
        var rejected: Int64 = 0
        for sample in samples {
            let energy = max(0, sample.registerWh - meterStart).rounded()
            if let problem = charging.plausibility.energyRejection(energy, session: bounds, now: now) {
                rejected += 1
                logger.warning(
                    "OCPP meter value rejected",
                    metadata: [
                        "sessionId": "\(session.sessionId)", "transactionId": "\(session.transactionId ?? 0)",
                        "at": "\(sample.at)", "reason": "\(problem)",
                    ])
                continue
            }
            if let applied = try await store.applyMeterValue(
                sessionId: session.sessionId, chargingPointId: session.chargingPointId, energyWh: Int64(energy),
                seq: sample.at, receivedAt: now)
            {
                latest = applied
            }
        }
        if rejected > 0 {
            try await store.countRejectedReadings(
                sessionId: session.sessionId, chargingPointId: session.chargingPointId, count: rejected)
            charging.metrics.emit([MetricValue(ChargingService.rejectedReadingsMetric, Double(rejected))])
        }
        return latest
    }

    /// The `Charging` session of `transactionId` on this charger; nil for an unknown, stopped or other charger's one.
    func chargingSession(transactionId: Int64?, context: OcppCallContext) async throws -> ChargingSession? {
        guard let transactionId, let session = try await store.session(transactionId: transactionId),
            session.status == .charging, session.chargingPointId == context.chargePointId
        else { return nil }
        return session
    }
}
