import BSON
import DataAPI
import FunctionRuntime
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A ``ChargingPointRegistry`` in the `ChargingPoints` collection, through the Data API.
///
/// The point's document (`_id` = chargePointId) is the one ``DataAPISessionStore`` claims for its session lock;
/// registration adds `credentials {scheme, iterations, salt, hash}` (salt and hash as base64), `registeredAt` (BSON
/// date), `provisioned`, `ocpp` and `connectors [{connectorId, maxPower}]`, and never changes the lock fields
/// (`activeSessionId`, `claimedAt`, `lastSessionId`); a new document gets `activeSessionId: null`.
///
/// Registering is ONE conditional upsert (`filter {_id, credentials: null}`, `upsert: true`): when the point has
/// credentials the filter does not match, the upsert tries to insert the existing `_id` and the Data API answers
/// duplicate key, which means "already registered". An unprovisioned registration older than
/// ``ChargerRegistration/abandonedMilliseconds`` is withdrawn and the upsert tried once more.
public struct DataAPIChargingPointRegistry: ChargingPointRegistry {
    private let client: DataAPIClient
    private let logger: Logger

    public init(client: DataAPIClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static var collection: String { DataAPISessionStore.chargingPointsCollection }

    /// The registry over libcurl with the Data API configuration of the environment (`DATA_API_*`).
    public static func live(
        _ env: FunctionEnvironment, logger: Logger
    ) throws(FunctionRuntimeError) -> DataAPIChargingPointRegistry {
        let client = DataAPIClient(
            configuration: try DataAPIConfiguration.fromEnvironment(env), transport: CurlHTTPClient(), logger: logger)
        return DataAPIChargingPointRegistry(client: client, logger: logger)
    }

    public func register(_ registration: ChargerRegistration) async throws -> Bool {
        try await DataAPISessionStore.available {
            for attempt in 0..<2 {
                do {
                    _ = try client.updateOne(
                        Self.collection, filter: ["_id": .string(registration.chargePointId), "credentials": .null],
                        update: Self.update(registration), upsert: true)
                    return true
                } catch let error as DataAPIError where error.code == .duplicateKey {
                    guard attempt == 0, let stored = try findRegistration(registration.chargePointId),
                        stored.isAbandoned(now: registration.registeredAt)
                    else { return false }
                    logger.warning(
                        "withdrawing an abandoned unprovisioned registration",
                        metadata: ["chargePointId": "\(registration.chargePointId)"])
                    try withdrawRegistration(registration.chargePointId, salt: stored.credentials.salt)
                }
            }
            return false
        }
    }

    public func confirm(chargePointId: String, salt: [UInt8]) async throws -> Bool {
        try await DataAPISessionStore.available {
            try client.updateOne(
                Self.collection, filter: Self.filter(chargePointId, salt: salt),
                update: ["$set": ["provisioned": true]]
            ).matchedCount > 0
        }
    }

    public func withdraw(chargePointId: String, salt: [UInt8]) async throws {
        try await DataAPISessionStore.available { try withdrawRegistration(chargePointId, salt: salt) }
    }

    public func registration(chargePointId: String) async throws -> ChargerRegistration? {
        try await DataAPISessionStore.available { try findRegistration(chargePointId) }
    }

    private func withdrawRegistration(_ chargePointId: String, salt: [UInt8]) throws(DataAPIError) {
        let fields: Document = ["credentials": "", "registeredAt": "", "provisioned": "", "ocpp": "", "connectors": ""]
        _ = try client.updateOne(
            Self.collection, filter: Self.filter(chargePointId, salt: salt), update: ["$unset": .document(fields)])
    }

    private func findRegistration(_ chargePointId: String) throws(DataAPIError) -> ChargerRegistration? {
        guard let document = try client.findOne(Self.collection, filter: ["_id": .string(chargePointId)]) else {
            return nil
        }
        guard document["credentials"].map({ !$0.isNull }) ?? false else { return nil }
        guard let registration = Self.registration(document) else {
            logger.error("stored registration is unreadable", metadata: ["chargePointId": "\(chargePointId)"])
            return nil
        }
        return registration
    }

    /// The filter that matches the point's registration with this salt only.
    static func filter(_ chargePointId: String, salt: [UInt8]) -> Document {
        ["_id": .string(chargePointId), "credentials.salt": .string(Data(salt).base64EncodedString())]
    }

    /// The registration upsert's update.
    static func update(_ registration: ChargerRegistration) -> Document {
        let credentials: Document = [
            "scheme": .string(PasswordHash.scheme), "iterations": .int64(Int64(registration.credentials.iterations)),
            "salt": .string(Data(registration.credentials.salt).base64EncodedString()),
            "hash": .string(Data(registration.credentials.hash).base64EncodedString()),
        ]
        let connectors: [BSONValue] = registration.connectors.map {
            ["connectorId": .int64(Int64($0.connectorId)), "maxPower": .double($0.maxPower)]
        }
        return [
            "$set": [
                "credentials": .document(credentials), "registeredAt": .datetime(registration.registeredAt),
                "provisioned": .bool(registration.provisioned), "ocpp": .bool(registration.ocpp),
                "connectors": .array(connectors),
            ],
            "$setOnInsert": ["activeSessionId": .null],
        ]
    }

    /// The registration in a stored document; nil when its credentials are missing or not of this scheme.
    static func registration(_ document: Document) -> ChargerRegistration? {
        guard let id = document["_id"]?.stringValue, let credentials = document["credentials"]?.documentValue,
            credentials["scheme"]?.stringValue == PasswordHash.scheme,
            let iterations = credentials["iterations"]?.int64Value,
            let salt = credentials["salt"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
            let hash = credentials["hash"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
            let registeredAt = document["registeredAt"]?.datetimeValue
        else { return nil }
        let connectors = (document["connectors"]?.arrayValue ?? []).compactMap { item -> ChargerConnector? in
            guard let object = item.documentValue, let id = object["connectorId"]?.int64Value,
                let maxPower = object["maxPower"]?.doubleValue
            else { return nil }
            return ChargerConnector(connectorId: Int(id), maxPower: maxPower)
        }
        return ChargerRegistration(
            chargePointId: id, ocpp: document["ocpp"]?.boolValue ?? false, connectors: connectors,
            credentials: PasswordHash(
                iterations: Int(clamping: iterations), salt: Array(salt), hash: Array(hash)),
            registeredAt: registeredAt, provisioned: document["provisioned"]?.boolValue ?? false)
    }
}
