import ChargingWire
import Essentials
import Logging

/// What the four transaction actions share: idTag checks, the connector's power, and the `idTagInfo` answer.
struct OcppTransactionSupport: Sendable {
    let deps: OcppDependencies

    var store: any SessionStore { deps.charging.store }
    var service: ChargingService { deps.charging.service }

    /// The status of `idTag` on `chargePointId` at `now`, and its record when it has one: a tag that matches a
    /// pending remote start (a `Charging` session without `transactionId`) on one of the charger's connectors is
    /// Accepted; else the stored record decides (an expired one is `Expired`); an unknown tag is `Invalid`.
    func authorize(
        _ idTag: String, chargePointId: String, connectors: [Int], now: Int64
    ) async throws -> (IdTagStatus, IdTagRecord?) {
        let record = try await deps.idTags.idTag(idTag)
        for connectorId in connectors {
            if let pending = try await store.chargingSession(chargingPointId: chargePointId, connectorId: connectorId),
                pending.transactionId == nil, pending.idTag == idTag
            {
                return (.accepted, record)
            }
        }
        return (record?.status(at: now) ?? .invalid, record)
    }

    /// The connectors to look at for `registration`: its registered ones, else connector 1.
    static func connectorIds(_ registration: ChargerRegistration) -> [Int] {
        let ids = registration.connectors.map(\.connectorId)
        return ids.isEmpty ? [1] : ids
    }

    /// The connector's maxPower from the registration, else `OCPP_DEFAULT_MAX_POWER`.
    func maxPower(connectorId: Int, registration: ChargerRegistration) -> Double {
        registration.connectors.first { $0.connectorId == connectorId }?.maxPower ?? deps.settings.defaultMaxPower
    }

    /// `idTagInfo {status, expiryDate?}`.
    static func idTagInfo(_ status: IdTagStatus, _ record: IdTagRecord?) -> OcppJSON {
        var info: [String: OcppJSON] = ["status": .string(status.rawValue)]
        if let expiry = record?.expiryDate { info["expiryDate"] = .string(Timestamp.format(milliseconds: expiry)) }
        return .object(info)
    }

    /// A message's `timestamp` (ms), else when it arrived.
    static func time(_ value: OcppJSON?, default fallback: Int64) -> Int64 {
        value?.stringValue.flatMap(OcppSchemas.parseDateTime) ?? fallback
    }
}
