import Essentials
import FunctionRuntime
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A message on `chargepoint/status` (docs/OCPP.md): published after `$connect` (connected, no connector),
/// `$disconnect` (not connected) and every StatusNotification (connected, with the connector's fields).
public struct ChargerStatusMessage: Codable, Sendable, Hashable {
    /// The topic (functions publish it; chargers may not).
    public static let topic = "chargepoint/status"

    public var chargePointId: String
    public var connected: Bool
    public var connectorId: Int?
    public var status: String?
    public var errorCode: String?
    public var info: String?
    /// ISO-8601 with milliseconds (the charger's timestamp for a StatusNotification that has one).
    public var timestamp: String

    public init(
        chargePointId: String, connected: Bool, connectorId: Int? = nil, status: String? = nil,
        errorCode: String? = nil, info: String? = nil, timestamp: Int64
    ) {
        self.chargePointId = chargePointId
        self.connected = connected
        self.connectorId = connectorId
        self.status = status
        self.errorCode = errorCode
        self.info = info
        self.timestamp = Timestamp.format(milliseconds: timestamp)
    }

    /// The message of a stored StatusNotification.
    public init(chargePointId: String, status: ConnectorStatusRecord) {
        self.init(
            chargePointId: chargePointId, connected: true, connectorId: status.connectorId, status: status.status,
            errorCode: status.errorCode, info: status.info, timestamp: status.timestamp ?? status.receivedAt)
    }

    /// Publishes the message. A failed publish is logged, not thrown: the state is stored, and the screens catch
    /// up from `GET /chargers`.
    public func publish(with publisher: any Publisher, logger: Logger) async {
        do {
            try await publisher.publish(topic: Self.topic, payload: Array(try JSONCoding.encoder.encode(self)))
        } catch {
            logger.warning(
                "publishing chargepoint/status failed",
                metadata: ["chargePointId": "\(chargePointId)", "error": "\(String(describing: error))"])
        }
    }
}
