/// The live state of OCPP chargers (in their `ChargingPoints` documents) and the connection index
/// (`OcppConnections`). The two reads first are what CSMS calls need; the rest is OcppConnect, OcppDisconnect,
/// OcppMessage's handlers and ListChargers.
public protocol ChargerStateStore: Sendable {
    /// The charger's current connectionId; nil when it is not connected.
    func connection(chargePointId: String) async throws -> String?
    /// The last reported status of each connector (`Available`, `Charging`, …); connector 0 is the whole point.
    func connectorStatuses(chargePointId: String) async throws -> [Int: String]

    /// Records a new connection: the index entry `connectionId → chargePointId` and the point's `connection`
    /// (replacing a previous connection of the same charger).
    func connect(_ connection: ChargerConnection) async throws
    /// The connection `connectionId` as OcppConnect recorded it; nil when it is unknown (or already closed).
    func connected(connectionId: String) async throws -> ChargerConnection?
    /// Removes the index entry of `connectionId` and clears the point's `connection` only while it is still this
    /// connection (a charger that reconnected keeps its new one). Returns the removed connection (nil when
    /// unknown) and whether it was the point's current one.
    func disconnect(connectionId: String) async throws -> (connection: ChargerConnection, wasCurrent: Bool)?

    /// Stores BootNotification's information (and `lastSeen`).
    func recordBoot(chargePointId: String, boot: ChargerBoot) async throws
    /// Stores a Heartbeat (`lastHeartbeat` and `lastSeen`).
    func recordHeartbeat(chargePointId: String, at: Int64) async throws
    /// Stores a connector's status unless both it and the stored one carry a charger `timestamp` and the stored
    /// one is later (a late queued message); true when stored.
    func recordStatus(chargePointId: String, status: ConnectorStatusRecord) async throws -> Bool
    /// Stores the last DiagnosticsStatusNotification (`diagnosticsStatus`) or FirmwareStatusNotification
    /// (`firmwareStatus`).
    func recordNotification(
        chargePointId: String, kind: ChargerNotificationKind, status: String, at: Int64)
        async throws

    /// The registered points (those with credentials, MQTT and OCPP) sorted by id, at most `limit`, each with its
    /// live state (empty for a point that never connected).
    func registeredChargers(limit: Int) async throws -> [RegisteredCharger]
}

/// A registered charging point and its live state.
public struct RegisteredCharger: Sendable, Hashable {
    public var registration: ChargerRegistration
    public var state: ChargerState

    public init(registration: ChargerRegistration, state: ChargerState) {
        self.registration = registration
        self.state = state
    }
}

/// One WebSocket connection of a charger.
public struct ChargerConnection: Sendable, Hashable {
    public var connectionId: String
    public var chargePointId: String
    /// When it was opened (ms since the epoch).
    public var connectedAt: Int64
    public var sourceIp: String?

    public init(connectionId: String, chargePointId: String, connectedAt: Int64, sourceIp: String? = nil) {
        self.connectionId = connectionId
        self.chargePointId = chargePointId
        self.connectedAt = connectedAt
        self.sourceIp = sourceIp
    }
}

/// What a BootNotification told about the charger.
public struct ChargerBoot: Sendable, Hashable {
    public var chargePointVendor: String
    public var chargePointModel: String
    /// The optional fields by their OCPP names (`chargePointSerialNumber`, `firmwareVersion`, …).
    public var details: [String: String]
    /// When it was received (ms since the epoch).
    public var at: Int64

    /// The optional BootNotification fields that are stored.
    public static let detailFields = [
        "chargePointSerialNumber", "chargeBoxSerialNumber", "firmwareVersion", "iccid", "imsi", "meterType",
        "meterSerialNumber",
    ]

    public init(chargePointVendor: String, chargePointModel: String, details: [String: String] = [:], at: Int64) {
        self.chargePointVendor = chargePointVendor
        self.chargePointModel = chargePointModel
        self.details = details
        self.at = at
    }
}

/// A connector's last StatusNotification.
public struct ConnectorStatusRecord: Sendable, Hashable {
    /// 0 = the whole charge point.
    public var connectorId: Int
    public var status: String
    public var errorCode: String
    public var info: String?
    public var vendorId: String?
    public var vendorErrorCode: String?
    /// The charger's `timestamp` (ms since the epoch), when it sent one.
    public var timestamp: Int64?
    /// When the CSMS received it.
    public var receivedAt: Int64

    public init(
        connectorId: Int, status: String, errorCode: String, info: String? = nil, vendorId: String? = nil,
        vendorErrorCode: String? = nil, timestamp: Int64? = nil, receivedAt: Int64
    ) {
        self.connectorId = connectorId
        self.status = status
        self.errorCode = errorCode
        self.info = info
        self.vendorId = vendorId
        self.vendorErrorCode = vendorErrorCode
        self.timestamp = timestamp
        self.receivedAt = receivedAt
    }
}

/// Which status notification ``ChargerStateStore/recordNotification(chargePointId:kind:status:at:)`` stores.
public enum ChargerNotificationKind: String, Sendable, Hashable {
    case diagnostics = "diagnosticsStatus"
    case firmware = "firmwareStatus"
}

/// A status and when it was reported (ms since the epoch).
public struct ReportedStatus: Sendable, Hashable {
    public var status: String
    public var at: Int64

    public init(status: String, at: Int64) {
        self.status = status
        self.at = at
    }
}

/// The live state of one charger.
public struct ChargerState: Sendable, Hashable {
    public var chargePointId: String
    public var connection: ChargerConnection?
    public var lastSeen: Int64?
    public var lastHeartbeat: Int64?
    public var boot: ChargerBoot?
    public var connectors: [Int: ConnectorStatusRecord]
    public var diagnosticsStatus: ReportedStatus?
    public var firmwareStatus: ReportedStatus?

    public init(
        chargePointId: String, connection: ChargerConnection? = nil, lastSeen: Int64? = nil,
        lastHeartbeat: Int64? = nil, boot: ChargerBoot? = nil, connectors: [Int: ConnectorStatusRecord] = [:],
        diagnosticsStatus: ReportedStatus? = nil, firmwareStatus: ReportedStatus? = nil
    ) {
        self.chargePointId = chargePointId
        self.connection = connection
        self.lastSeen = lastSeen
        self.lastHeartbeat = lastHeartbeat
        self.boot = boot
        self.connectors = connectors
        self.diagnosticsStatus = diagnosticsStatus
        self.firmwareStatus = firmwareStatus
    }
}
