import BSON
import DataAPI
import Logging

/// A ``ChargerStateStore`` over the Data API: the connection index in `OcppConnections`
/// (`{_id: connectionId, chargePointId, connectedAt, sourceIp?}`) and the live state in the point's `ChargingPoints`
/// document, written with `$set` only (`connection`, `lastSeen`, `lastHeartbeat`, `boot`, `connectorStatus.<n>`,
/// `diagnosticsStatus`, `firmwareStatus`). Registration fields and the session lock fields are never touched, and
/// nothing is upserted into `ChargingPoints` (only a registered charger connects).
///
/// Data API v1 has no transactions: a connect writes the index first, then the point; a disconnect deletes the
/// index entry, then clears the point's `connection` with a filter on its connectionId, so a charger that
/// reconnected meanwhile keeps its new connection.
public struct DataAPIChargerStateStore: ChargerStateStore {
    /// The connection index collection.
    public static let connectionsCollection = "OcppConnections"

    private let client: DataAPIClient
    private let logger: Logger

    public init(client: DataAPIClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static var points: String { DataAPISessionStore.chargingPointsCollection }

    public func connection(chargePointId: String) async throws -> String? {
        try await DataAPISessionStore.available {
            try client.findOne(
                Self.points, filter: ["_id": .string(chargePointId)], projection: ["connection": 1]
            )?["connection"]?.documentValue?["connectionId"]?.stringValue
        }
    }

    public func connectorStatuses(chargePointId: String) async throws -> [Int: String] {
        try await DataAPISessionStore.available {
            let document = try client.findOne(
                Self.points, filter: ["_id": .string(chargePointId)], projection: ["connectorStatus": 1])
            return Self.connectorStatuses(document?["connectorStatus"]?.documentValue).mapValues(\.status)
        }
    }

    public func connect(_ connection: ChargerConnection) async throws {
        try await DataAPISessionStore.available {
            var index: Document = [
                "chargePointId": .string(connection.chargePointId), "connectedAt": .datetime(connection.connectedAt),
            ]
            if let sourceIp = connection.sourceIp { index["sourceIp"] = .string(sourceIp) }
            _ = try client.updateOne(
                Self.connectionsCollection, filter: ["_id": .string(connection.connectionId)],
                update: ["$set": .document(index)], upsert: true)
            let result = try client.updateOne(
                Self.points, filter: ["_id": .string(connection.chargePointId)],
                update: [
                    "$set": [
                        "connection": .document(Self.connectionDocument(connection)),
                        "lastSeen": .datetime(connection.connectedAt),
                    ]
                ])
            if result.matchedCount == 0 {
                logger.warning(
                    "connected charger has no ChargingPoints document",
                    metadata: ["chargePointId": "\(connection.chargePointId)"])
            }
        }
    }

    public func connected(connectionId: String) async throws -> ChargerConnection? {
        try await DataAPISessionStore.available {
            try client.findOne(Self.connectionsCollection, filter: ["_id": .string(connectionId)]).flatMap {
                Self.connection($0, connectionId: connectionId)
            }
        }
    }

    public func disconnect(connectionId: String) async throws -> (connection: ChargerConnection, wasCurrent: Bool)? {
        try await DataAPISessionStore.available {
            guard
                let connection = try client.findOne(Self.connectionsCollection, filter: ["_id": .string(connectionId)])
                    .flatMap({ Self.connection($0, connectionId: connectionId) })
            else { return nil }
            _ = try client.deleteOne(Self.connectionsCollection, filter: ["_id": .string(connectionId)])
            let cleared = try client.updateOne(
                Self.points,
                filter: ["_id": .string(connection.chargePointId), "connection.connectionId": .string(connectionId)],
                update: ["$set": ["connection": .null]])
            return (connection, cleared.matchedCount > 0)
        }
    }

    public func recordBoot(chargePointId: String, boot: ChargerBoot) async throws {
        var fields: Document = [
            "chargePointVendor": .string(boot.chargePointVendor), "chargePointModel": .string(boot.chargePointModel),
        ]
        for name in ChargerBoot.detailFields {
            if let value = boot.details[name] { fields[name] = .string(value) }
        }
        fields["at"] = .datetime(boot.at)
        try await set(chargePointId, ["boot": .document(fields), "lastSeen": .datetime(boot.at)])
    }

    public func recordHeartbeat(chargePointId: String, at: Int64) async throws {
        try await set(chargePointId, ["lastHeartbeat": .datetime(at), "lastSeen": .datetime(at)])
    }

    public func recordStatus(chargePointId: String, status: ConnectorStatusRecord) async throws -> Bool {
        let field = "connectorStatus.\(status.connectorId)"
        var filter: Document = ["_id": .string(chargePointId)]
        if let timestamp = status.timestamp {
            // A late queued notification older than the stored one is ignored; one without a timestamp is current.
            filter["$or"] = [
                ["\(field).timestamp": ["$exists": false]], ["\(field).timestamp": ["$lte": .datetime(timestamp)]],
            ]
        }
        return try await DataAPISessionStore.available {
            try client.updateOne(
                Self.points, filter: filter,
                update: [
                    "$set": [field: .document(Self.statusDocument(status)), "lastSeen": .datetime(status.receivedAt)]
                ]
            ).matchedCount > 0
        }
    }

    public func recordNotification(
        chargePointId: String, kind: ChargerNotificationKind, status: String, at: Int64
    )
        async throws
    {
        try await set(chargePointId, [kind.rawValue: ["status": .string(status), "at": .datetime(at)]])
    }

    public func registeredChargers(limit: Int) async throws -> [RegisteredCharger] {
        try await DataAPISessionStore.available {
            try client.find(
                Self.points, filter: ["credentials": ["$exists": true, "$ne": .null]], sort: ["_id": 1], limit: limit
            ).compactMap { document in
                guard let registration = DataAPIChargingPointRegistry.registration(document) else {
                    logger.error(
                        "stored registration is unreadable; left out of the list",
                        metadata: ["chargePointId": "\(document["_id"]?.stringValue ?? "?")"])
                    return nil
                }
                return RegisteredCharger(
                    registration: registration, state: Self.state(document, chargePointId: registration.chargePointId))
            }
        }
    }

    private func set(_ chargePointId: String, _ fields: Document) async throws {
        try await DataAPISessionStore.available {
            let result = try client.updateOne(
                Self.points, filter: ["_id": .string(chargePointId)], update: ["$set": .document(fields)])
            if result.matchedCount == 0 {
                logger.warning(
                    "charger state not stored: no ChargingPoints document",
                    metadata: ["chargePointId": "\(chargePointId)"])
            }
        }
    }
}
