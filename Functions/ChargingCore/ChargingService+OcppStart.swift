import ChargingWire
import Logging

extension ChargingService {
    /// `POST /start` on an OCPP charger: picks the connector (the request's, else the first `Available`, else the
    /// first `Preparing` one — a plugged-in car — by the stored StatusNotifications; none → 409), takes the user's
    /// Accepted idTag (else ``RemoteIdTag/forUser(_:)``), inserts the session FIRST (it claims the connector's lock
    /// and carries `connectorId` and `idTag`), then sends RemoteStartTransaction and waits for the answer.
    ///
    /// Accepted → the session (StartTransaction attaches its `transactionId` later). Otherwise the session is
    /// completed as `NotStarted` (cost 0, lock released, `session/updates` published) and the error thrown:
    /// Rejected or a CALLERROR → `.chargerRejected`, no connection → `.chargerNotConnected`, no answer →
    /// `.chargerTimeout`, another call outstanding → `.chargerBusy`. When the charger's StartTransaction attached
    /// a transaction meanwhile, the session is live after all and comes back as started.
    public func startRemote(
        _ request: StartRequest, registration: ChargerRegistration, control: OcppControl, logger: Logger
    ) async throws -> (ChargingSession, ChargingEstimate) {
        let calls = try control.requireCalls(registration.chargePointId)
        let connectorId = try await connector(for: request, registration: registration, control: control)
        let idTag =
            try await control.idTags.acceptedIdTag(userId: request.userId, now: clock.nowMilliseconds())?.idTag
            ?? RemoteIdTag.forUser(request.userId)
        let (session, estimate) = try await start(request, connectorId: connectorId, idTag: idTag, logger: logger)
        let outcome: OcppCallOutcome
        do {
            outcome = try await calls.call(
                chargePointId: registration.chargePointId, action: "RemoteStartTransaction",
                payload: ["connectorId": .integer(Int64(connectorId)), "idTag": .string(idTag)],
                timeout: control.settings.callTimeout)
        } catch {
            if let started = try await endNotStarted(session, logger: logger) { return (started, estimate) }
            throw error
        }
        guard outcome.status == "Accepted" else {
            if let started = try await endNotStarted(session, logger: logger) { return (started, estimate) }
            throw ChargingError(
                .chargerRejected,
                "charger \(registration.chargePointId) refused RemoteStartTransaction: \(outcome.summary)")
        }
        logger.info(
            "remote start accepted",
            metadata: ["sessionId": "\(session.sessionId)", "connectorId": "\(connectorId)"])
        return (session, estimate)
    }

    /// The connector a remote start uses; throws 400 for a connector the charger does not have and 409 when none
    /// is free.
    func connector(
        for request: StartRequest, registration: ChargerRegistration, control: OcppControl
    ) async throws -> Int {
        let connectors = registration.connectors.map(\.connectorId)
        if let asked = request.connectorId {
            guard connectors.contains(asked) else {
                throw ChargingError.invalid(
                    "connectorId",
                    "must be one of the connectors of \(registration.chargePointId): "
                        + connectors.map(String.init).joined(separator: ", "))
            }
            return asked
        }
        let statuses = try await control.chargers.connectorStatuses(chargePointId: registration.chargePointId)
        for wanted in ["Available", "Preparing"] {
            if let free = connectors.first(where: { statuses[$0] == wanted }) { return free }
        }
        throw ChargingError(
            .chargingPointBusy, "charging point \(registration.chargePointId) has no Available connector")
    }

    /// Completes a pending remote start as `NotStarted` (cost 0). Nil when it ended that way (or had ended
    /// already); the session when StartTransaction attached a transaction first, so it is charging after all.
    public func endNotStarted(_ session: ChargingSession, logger: Logger) async throws -> ChargingSession? {
        let outcome = try await stop(
            sessionId: session.sessionId, reason: .notStarted, logger: logger, if: { $0.transactionId == nil })
        guard outcome == nil, let current = try await store.session(id: session.sessionId),
            current.status == .charging
        else { return nil }
        return current
    }
}
