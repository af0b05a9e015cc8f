import ChargingWire
import Essentials

/// BootNotification: the charger is Accepted (only a registered charger connects), told the server time and the
/// heartbeat `interval` (`OCPP_HEARTBEAT_INTERVAL`); vendor, model, serial numbers and firmware are stored.
public struct BootNotificationAction: OcppActionHandler {
    public static let action = "BootNotification"
    let deps: OcppDependencies

    public init(_ deps: OcppDependencies) { self.deps = deps }

    public func handle(_ payload: OcppJSON, context: OcppCallContext) async throws -> OcppJSON {
        var details: [String: String] = [:]
        for name in ChargerBoot.detailFields {
            if let value = payload[name]?.stringValue { details[name] = value }
        }
        let boot = ChargerBoot(
            chargePointVendor: payload["chargePointVendor"]?.stringValue ?? "",
            chargePointModel: payload["chargePointModel"]?.stringValue ?? "", details: details,
            at: context.receivedAt)
        try await deps.chargers.recordBoot(chargePointId: context.chargePointId, boot: boot)
        context.logger.info(
            "charger booted",
            metadata: [
                "chargePointId": "\(context.chargePointId)", "vendor": "\(boot.chargePointVendor)",
                "model": "\(boot.chargePointModel)",
            ])
        return [
            "status": "Accepted", "currentTime": .string(currentTime()),
            "interval": .integer(Int64(deps.settings.heartbeatInterval)),
        ]
    }

    func currentTime() -> String { Timestamp.format(milliseconds: deps.charging.clock.nowMilliseconds()) }
}

/// Heartbeat: the server time; `lastHeartbeat` and `lastSeen` stored.
public struct HeartbeatAction: OcppActionHandler {
    public static let action = "Heartbeat"
    let deps: OcppDependencies

    public init(_ deps: OcppDependencies) { self.deps = deps }

    public func handle(_ payload: OcppJSON, context: OcppCallContext) async throws -> OcppJSON {
        try await deps.chargers.recordHeartbeat(chargePointId: context.chargePointId, at: context.receivedAt)
        return ["currentTime": .string(Timestamp.format(milliseconds: deps.charging.clock.nowMilliseconds()))]
    }
}

/// DataTransfer: no vendor extension is known here, so every one is `UnknownVendorId`.
public struct DataTransferAction: OcppActionHandler {
    public static let action = "DataTransfer"

    public init(_ deps: OcppDependencies) {}

    public func handle(_ payload: OcppJSON, context: OcppCallContext) async throws -> OcppJSON {
        ["status": "UnknownVendorId"]
    }
}
