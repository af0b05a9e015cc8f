import ChargingWire
import Logging

/// StatusNotification: the connector's status (connector 0 = the whole charge point) stored and published on
/// `chargepoint/status`. A late queued notification whose `timestamp` is older than the stored one's is answered
/// but neither stored nor published.
public struct StatusNotificationAction: OcppActionHandler {
    public static let action = "StatusNotification"
    let deps: OcppDependencies

    public init(_ deps: OcppDependencies) { self.deps = deps }

    public func handle(_ payload: OcppJSON, context: OcppCallContext) async throws -> OcppJSON {
        let status = ConnectorStatusRecord(
            connectorId: Int(clamping: payload["connectorId"]?.int64Value ?? 0),
            status: payload["status"]?.stringValue ?? "", errorCode: payload["errorCode"]?.stringValue ?? "",
            info: payload["info"]?.stringValue, vendorId: payload["vendorId"]?.stringValue,
            vendorErrorCode: payload["vendorErrorCode"]?.stringValue,
            timestamp: payload["timestamp"]?.stringValue.flatMap(OcppSchemas.parseDateTime),
            receivedAt: context.receivedAt)
        let metadata: Logger.Metadata = [
            "chargePointId": "\(context.chargePointId)", "connectorId": "\(status.connectorId)",
            "status": "\(status.status)", "errorCode": "\(status.errorCode)",
        ]
        guard try await deps.chargers.recordStatus(chargePointId: context.chargePointId, status: status) else {
            context.logger.info("older StatusNotification ignored", metadata: metadata)
            return [:]
        }
        context.logger.info("connector status", metadata: metadata)
        await ChargerStatusMessage(chargePointId: context.chargePointId, status: status)
            .publish(with: deps.charging.publisher, logger: context.logger)
        return [:]
    }
}

/// A status notification that is only stored: DiagnosticsStatusNotification or FirmwareStatusNotification.
public protocol StoredStatusNotification: Sendable {
    /// The action's name.
    static var action: String { get }
    /// Where its status is stored.
    static var kind: ChargerNotificationKind { get }
}

/// DiagnosticsStatusNotification: the status stored (`diagnosticsStatus`).
public enum DiagnosticsStatusNotification: StoredStatusNotification {
    public static let action = "DiagnosticsStatusNotification"
    public static let kind = ChargerNotificationKind.diagnostics
}

/// FirmwareStatusNotification: the status stored (`firmwareStatus`).
public enum FirmwareStatusNotification: StoredStatusNotification {
    public static let action = "FirmwareStatusNotification"
    public static let kind = ChargerNotificationKind.firmware
}

/// Stores a ``StoredStatusNotification``'s `status` as received now; the CALLRESULT is empty.
public struct StatusNotificationStoreAction<Notification: StoredStatusNotification>: OcppActionHandler {
    public static var action: String { Notification.action }
    let chargers: any ChargerStateStore

    public init(_ deps: OcppDependencies) { chargers = deps.chargers }

    public func handle(_ payload: OcppJSON, context: OcppCallContext) async throws -> OcppJSON {
        try await chargers.recordNotification(
            chargePointId: context.chargePointId, kind: Notification.kind, status: payload["status"]?.stringValue ?? "",
            at: context.receivedAt)
        return [:]
    }
}

/// DiagnosticsStatusNotification's handler.
public typealias DiagnosticsStatusNotificationAction = StatusNotificationStoreAction<DiagnosticsStatusNotification>
/// FirmwareStatusNotification's handler.
public typealias FirmwareStatusNotificationAction = StatusNotificationStoreAction<FirmwareStatusNotification>
