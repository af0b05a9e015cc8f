import ChargingWire
import Logging

extension ChargingService {
    /// How often a remote stop reads the session while it waits for StopTransaction.
    static let stopPollInterval: Duration = .milliseconds(100)

    /// `POST /stop` of an OCPP session (`connectorId` set) on behalf of `caller`.
    ///
    /// A stopped session comes back as it is (idempotent). A pending remote start (no `transactionId` yet) is
    /// completed as `NotStarted` at once. Otherwise RemoteStopTransaction `{transactionId}` goes to the charger;
    /// Rejected (or a CALLERROR) → `.chargerRejected`; Accepted → the session is read every 100 ms until the
    /// charger's StopTransaction stopped it (the usual outcome) or `settings.stopWait` passed (`.chargerTimeout`,
    /// the session stays `Charging` and a later stop returns the result). Call errors (`.chargerNotConnected`,
    /// `.chargerBusy`, `.chargerTimeout`) are thrown as they are.
    public func stopRemote(
        _ session: ChargingSession, control: OcppControl, by caller: Caller, logger: Logger
    ) async throws -> StopOutcome {
        guard session.status == .charging else { return StopOutcome(session: session, wasAlreadyStopped: true) }
        guard let transactionId = session.transactionId else {
            if let outcome = try await stop(
                sessionId: session.sessionId, reason: .notStarted, by: caller, known: session, logger: logger,
                if: { $0.transactionId == nil })
            {
                return outcome
            }
            // StartTransaction attached a transaction meanwhile: stop it through the charger.
            return try await stopRemote(
                self.session(id: session.sessionId, visibleTo: caller), control: control, by: caller, logger: logger)
        }
        let calls = try control.requireCalls(session.chargingPointId)
        let outcome = try await calls.call(
            chargePointId: session.chargingPointId, action: "RemoteStopTransaction",
            payload: ["transactionId": .integer(transactionId)], timeout: control.settings.callTimeout)
        guard outcome.status == "Accepted" else {
            throw ChargingError(
                .chargerRejected,
                "charger \(session.chargingPointId) refused RemoteStopTransaction: \(outcome.summary)")
        }
        let waited = ContinuousClock.now
        while true {
            if let current = try await store.session(id: session.sessionId), current.status != .charging {
                return StopOutcome(session: current, wasAlreadyStopped: false)
            }
            guard ContinuousClock.now - waited < control.settings.stopWait else { break }
            try await Task.sleep(for: Self.stopPollInterval)
        }
        logger.warning(
            "charger accepted the remote stop but sent no StopTransaction in time",
            metadata: ["sessionId": "\(session.sessionId)", "transactionId": "\(transactionId)"])
        throw ChargingError(
            .chargerTimeout,
            "charger \(session.chargingPointId) accepted the stop but did not report it within "
                + "\(control.settings.stopWait); the session stays Charging until it does")
    }
}
