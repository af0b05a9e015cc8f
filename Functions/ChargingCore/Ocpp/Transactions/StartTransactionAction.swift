import ChargingWire
import Logging

/// StartTransaction reports what already happened, so it is always stored and always gets a `transactionId`
/// (``TransactionIdAllocator``); `idTagInfo` says whether the tag was allowed (Accepted, or Invalid / Blocked /
/// Expired / ConcurrentTx).
///
/// A pending remote start on the connector (a `Charging` session without transaction) gets the transaction;
/// otherwise a charger-started session is created (the tag's user, or `idtag:<idTag>`; vehicle `unknown`; the
/// connector's maxPower; no target, so it never stops by itself; start = the message's `timestamp`). A `Charging`
/// session that holds the connector with another transaction is stopped first (`Other`). A repeat of the same
/// StartTransaction (same tag, meterStart and timestamp) gets the same transaction id.
public struct StartTransactionAction: OcppActionHandler {
    public static let action = "StartTransaction"
    let support: OcppTransactionSupport

    /// How often a start re-reads the connector when another start took it meanwhile.
    static let attempts = 3

    public init(_ deps: OcppDependencies) { support = OcppTransactionSupport(deps: deps) }

    public func handle(_ payload: OcppJSON, context: OcppCallContext) async throws -> OcppJSON {
        let start = Start(
            connectorId: Int(payload["connectorId"]?.int64Value ?? 1), idTag: payload["idTag"]?.stringValue ?? "",
            meterStartWh: payload["meterStart"]?.int64Value ?? 0,
            at: OcppTransactionSupport.time(payload["timestamp"], default: context.receivedAt))
        let (status, record, session) = try await store(start, context: context)
        context.logger.info(
            "transaction started",
            metadata: [
                "chargePointId": "\(context.chargePointId)", "connectorId": "\(start.connectorId)",
                "transactionId": "\(session.transactionId ?? 0)", "sessionId": "\(session.sessionId)",
                "idTagStatus": "\(status.rawValue)",
            ])
        return [
            "transactionId": .integer(session.transactionId ?? 0),
            "idTagInfo": OcppTransactionSupport.idTagInfo(status, record),
        ]
    }

    /// What the charger reported.
    struct Start {
        var connectorId: Int
        var idTag: String
        var meterStartWh: Int64
        var at: Int64
    }

    private func store(
        _ start: Start, context: OcppCallContext
    ) async throws -> (IdTagStatus, IdTagRecord?, ChargingSession) {
        let store = support.store
        let point = context.chargePointId
        for _ in 0..<Self.attempts {
            let holder = try await store.chargingSession(chargingPointId: point, connectorId: start.connectorId)
            if let holder, holder.connectorId != nil, holder.transactionId == nil {
                if let attached = try await attach(start, to: holder, context: context) { return attached }
                continue
            }
            if let holder {
                if let transactionId = holder.transactionId, holder.idTag == start.idTag,
                    holder.meterStartWh == start.meterStartWh, holder.startTime == start.at
                {
                    let (status, record) = try await status(
                        start, context: context, pending: nil, excluding: holder.sessionId)
                    context.logger.info("repeated StartTransaction", metadata: ["transactionId": "\(transactionId)"])
                    return (status, record, holder)
                }
                // Another transaction (or a session without a connector) holds the connector: the charger says it
                // is over.
                _ = try await support.service.stop(
                    sessionId: holder.sessionId, reason: .other, at: start.at, logger: context.logger, if: { _ in true }
                )
            }
            if let created = try await create(start, context: context) { return created }
        }
        throw ChargingError(
            .storeContention, "connector \(start.connectorId) of \(point) kept changing; StartTransaction not stored")
    }

    /// Gives the pending remote start `holder` the transaction; nil when it changed meanwhile (stopped, or attached
    /// by a concurrent start).
    private func attach(
        _ start: Start, to holder: ChargingSession, context: OcppCallContext
    ) async throws -> (IdTagStatus, IdTagRecord?, ChargingSession)? {
        let (status, record) = try await status(start, context: context, pending: holder, excluding: holder.sessionId)
        let id = try await support.deps.transactions.allocate(
            chargePointId: context.chargePointId, connectorId: start.connectorId, sessionId: holder.sessionId,
            at: start.at)
        guard
            try await support.store.attachTransaction(
                sessionId: holder.sessionId, transactionId: id, meterStartWh: start.meterStartWh, idTag: start.idTag)
        else { return nil }
        var attached = holder
        attached.transactionId = id
        attached.meterStartWh = start.meterStartWh
        attached.idTag = start.idTag
        await support.service.publishUpdate(attached, logger: context.logger)
        return (status, record, attached)
    }

    /// A new charger-started session with its transaction; nil when another session took the connector meanwhile.
    private func create(
        _ start: Start, context: OcppCallContext
    ) async throws -> (IdTagStatus, IdTagRecord?, ChargingSession)? {
        let service = support.service
        let sessionId = service.makeSessionID()
        let (status, record) = try await status(start, context: context, pending: nil, excluding: nil)
        let id = try await support.deps.transactions.allocate(
            chargePointId: context.chargePointId, connectorId: start.connectorId, sessionId: sessionId, at: start.at)
        let session = ChargingSession(
            sessionId: sessionId, chargingPointId: context.chargePointId,
            userId: record?.userId ?? "idtag:\(start.idTag)", vehicleId: "unknown", startTime: start.at,
            maxPower: support.maxPower(connectorId: start.connectorId, registration: context.registration),
            targetCharge: 0, targetEnergyWh: 0, currency: service.tariff.currency, tariff: service.tariff,
            connectorId: start.connectorId, idTag: start.idTag, meterStartWh: start.meterStartWh, transactionId: id)
        do {
            try await support.store.insert(session)
        } catch let error as ChargingError where error.code == .chargingPointBusy {
            return nil
        }
        await service.publishUpdate(session, logger: context.logger)
        return (status, record, session)
    }

    /// The tag's status for this start: the pending session's own tag is Accepted, else the `IdTags` record (or
    /// Invalid); an Accepted tag already charging in another OCPP session is ConcurrentTx.
    private func status(
        _ start: Start, context: OcppCallContext, pending: ChargingSession?, excluding sessionId: String?
    ) async throws -> (IdTagStatus, IdTagRecord?) {
        let record = try await support.deps.idTags.idTag(start.idTag)
        if let pending, pending.idTag == start.idTag { return (.accepted, record) }
        let status = record?.status(at: context.receivedAt) ?? .invalid
        guard status == .accepted else { return (status, record) }
        let userId = record?.userId ?? "idtag:\(start.idTag)"
        if let other = try await support.store.current(chargingPointId: nil, userId: userId),
            other.status == .charging, other.connectorId != nil, other.idTag == start.idTag,
            other.sessionId != sessionId
        {
            return (.concurrentTx, record)
        }
        return (status, record)
    }
}
