import ChargingWire

/// Authorize: `idTagInfo` from `IdTags` (unknown → Invalid, past `expiryDate` → Expired); the tag of a pending
/// remote start on this charger is Accepted.
public struct AuthorizeAction: OcppActionHandler {
    public static let action = "Authorize"
    let support: OcppTransactionSupport

    public init(_ deps: OcppDependencies) { support = OcppTransactionSupport(deps: deps) }

    public func handle(_ payload: OcppJSON, context: OcppCallContext) async throws -> OcppJSON {
        let idTag = payload["idTag"]?.stringValue ?? ""
        let (status, record) = try await support.authorize(
            idTag, chargePointId: context.chargePointId,
            connectors: OcppTransactionSupport.connectorIds(context.registration), now: context.receivedAt)
        context.logger.info(
            "idTag authorized",
            metadata: [
                "chargePointId": "\(context.chargePointId)", "idTag": "\(idTag)", "status": "\(status.rawValue)",
            ])
        return ["idTagInfo": OcppTransactionSupport.idTagInfo(status, record)]
    }
}
