import BSON

/// The stored shapes of ``DataAPIChargerStateStore`` (docs/OCPP.md "Connecting a charger").
extension DataAPIChargerStateStore {
    static func connectionDocument(_ connection: ChargerConnection) -> Document {
        var document: Document = [
            "connectionId": .string(connection.connectionId), "connectedAt": .datetime(connection.connectedAt),
        ]
        if let sourceIp = connection.sourceIp { document["sourceIp"] = .string(sourceIp) }
        return document
    }

    static func statusDocument(_ status: ConnectorStatusRecord) -> Document {
        var document: Document = ["status": .string(status.status), "errorCode": .string(status.errorCode)]
        let optional: [(String, String?)] = [
            ("info", status.info), ("vendorId", status.vendorId), ("vendorErrorCode", status.vendorErrorCode),
        ]
        for (name, value) in optional {
            if let value { document[name] = .string(value) }
        }
        if let timestamp = status.timestamp { document["timestamp"] = .datetime(timestamp) }
        document["receivedAt"] = .datetime(status.receivedAt)
        return document
    }

    /// An `OcppConnections` entry (or a point's `connection`, with the point's id given).
    static func connection(
        _ document: Document, connectionId: String, chargePointId: String? = nil
    )
        -> ChargerConnection?
    {
        guard let chargePointId = chargePointId ?? document["chargePointId"]?.stringValue,
            let connectedAt = document["connectedAt"]?.datetimeValue
        else { return nil }
        return ChargerConnection(
            connectionId: connectionId, chargePointId: chargePointId, connectedAt: connectedAt,
            sourceIp: document["sourceIp"]?.stringValue)
    }

    /// `connectorStatus` by connector id (entries that are not readable are left out).
    static func connectorStatuses(_ document: Document?) -> [Int: ConnectorStatusRecord] {
        guard let document else { return [:] }
        var statuses: [Int: ConnectorStatusRecord] = [:]
        for (key, value) in document {
            guard let connectorId = Int(key), let entry = value.documentValue,
                let status = entry["status"]?.stringValue, let errorCode = entry["errorCode"]?.stringValue
            else { continue }
            statuses[connectorId] = ConnectorStatusRecord(
                connectorId: connectorId, status: status, errorCode: errorCode, info: entry["info"]?.stringValue,
                vendorId: entry["vendorId"]?.stringValue, vendorErrorCode: entry["vendorErrorCode"]?.stringValue,
                timestamp: entry["timestamp"]?.datetimeValue, receivedAt: entry["receivedAt"]?.datetimeValue ?? 0)
        }
        return statuses
    }

    /// The live state in a `ChargingPoints` document.
    static func state(_ document: Document, chargePointId: String) -> ChargerState {
        let connection = document["connection"]?.documentValue.flatMap { stored in
            stored["connectionId"]?.stringValue.flatMap {
                Self.connection(stored, connectionId: $0, chargePointId: chargePointId)
            }
        }
        return ChargerState(
            chargePointId: chargePointId, connection: connection, lastSeen: document["lastSeen"]?.datetimeValue,
            lastHeartbeat: document["lastHeartbeat"]?.datetimeValue,
            boot: document["boot"]?.documentValue.flatMap(Self.boot),
            connectors: connectorStatuses(document["connectorStatus"]?.documentValue),
            diagnosticsStatus: document[ChargerNotificationKind.diagnostics.rawValue]?.documentValue.flatMap(
                Self.reported),
            firmwareStatus: document[ChargerNotificationKind.firmware.rawValue]?.documentValue.flatMap(Self.reported))
    }

    static func boot(_ document: Document) -> ChargerBoot? {
        guard let vendor = document["chargePointVendor"]?.stringValue,
            let model = document["chargePointModel"]?.stringValue, let at = document["at"]?.datetimeValue
        else { return nil }
        var details: [String: String] = [:]
        for name in ChargerBoot.detailFields {
            if let value = document[name]?.stringValue { details[name] = value }
        }
        return ChargerBoot(chargePointVendor: vendor, chargePointModel: model, details: details, at: at)
    }

    static func reported(_ document: Document) -> ReportedStatus? {
        guard let status = document["status"]?.stringValue, let at = document["at"]?.datetimeValue else { return nil }
        return ReportedStatus(status: status, at: at)
    }
}
