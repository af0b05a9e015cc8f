import BSON
import DataAPI
import FunctionRuntime
import Logging

/// A meter value from `chargers/{chargingPointId}/meter`: `{sessionId, energyWh, timestamp, seq}`.
public struct MeterReading: Sendable, Hashable {
    public var sessionId: String
    /// Energy delivered since the session started, Wh (rounded to whole Wh).
    public var energyWh: Int64
    /// The charger's sequence number; repeats and older numbers are ignored.
    public var seq: Int64
    /// The charger's timestamp, when given (informational).
    public var timestamp: String?

    public init(sessionId: String, energyWh: Int64, seq: Int64, timestamp: String? = nil) {
        self.sessionId = sessionId
        self.energyWh = energyWh
        self.seq = seq
        self.timestamp = timestamp
    }

    /// Parses a payload; throws a ``ChargingError`` naming the offending field.
    public static func parse(_ payload: [UInt8]) throws(ChargingError) -> MeterReading {
        let fields = RequestFields(try RequestBody.object(payload))
        let sessionId = try fields.id("sessionId")
        guard let energy = try fields.optionalNumber("energyWh", in: 0...1e12) else {
            throw .invalid("energyWh", "is required")
        }
        guard let seqValue = fields.value("seq") else { throw .invalid("seq", "is required") }
        guard let seq = seqValue.int64Value, seq >= 0 else { throw .invalid("seq", "must be a non-negative integer") }
        return MeterReading(
            sessionId: sessionId, energyWh: Int64(energy.rounded()), seq: seq,
            timestamp: fields.value("timestamp")?.stringValue)
    }
}

/// A message on `charging/updates`: plain `Charging` / `Stopped`, or JSON
/// `{status, chargingPointId?, sessionId?, userId?, vehicleId?, maxPower?, targetCharge?}`.
public enum ChargingCommand: Sendable, Hashable {
    /// Start a session (missing fields took the configured defaults).
    case start(StartRequest)
    /// Stop `sessionId`, or the active session of `chargingPointId` when no session id was given.
    case stop(sessionId: String?, chargingPointId: String)

    /// Parses a payload; throws a ``ChargingError`` naming what is wrong.
    public static func parse(_ payload: [UInt8], defaults: ChargingDefaults) throws(ChargingError) -> ChargingCommand {
        guard payload.count <= RequestBody.maxBytes else {
            throw ChargingError(.malformedRequest, "payload is larger than \(RequestBody.maxBytes) bytes")
        }
        let text = String(decoding: payload, as: UTF8.self).trimmingSpaces
        let object: Document
        if let status = SessionStatus(anySpelling: text) {
            object = ["status": .string(status.rawValue)]
        } else {
            let value: BSONValue
            do {
                value = try ExtendedJSON.parse(Array(text.utf8))
            } catch {
                throw ChargingError(.malformedRequest, "payload is neither Charging, Stopped nor JSON")
            }
            if let string = value.stringValue, let status = SessionStatus(anySpelling: string) {
                object = ["status": .string(status.rawValue)]
            } else if let document = value.documentValue {
                object = document
            } else {
                throw ChargingError(.malformedRequest, "payload must be Charging, Stopped or a JSON object")
            }
        }
        let fields = RequestFields(object)
        guard let statusValue = fields.value("status") else { throw .invalid("status", "is required") }
        guard let statusText = statusValue.stringValue, let status = SessionStatus(anySpelling: statusText) else {
            throw .invalid("status", "must be Charging or Stopped")
        }
        switch status {
        case .charging:
            return .start(try StartRequest.validate(object, defaults: defaults))
        case .stopped:
            let sessionId = fields.value("sessionId") == nil ? nil : try fields.id("sessionId")
            return .stop(
                sessionId: sessionId,
                chargingPointId: try fields.id("chargingPointId", default: defaults.chargingPointId))
        }
    }
}

extension String {
    /// The string without leading and trailing ASCII whitespace (FoundationEssentials has no `trimmingCharacters`).
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

extension TopicMessage {
    /// Parses the payload, or logs it with the topic and returns nil: malformed payloads are dropped,
    /// never errors (an error would make the platform retry a message that can never succeed).
    public func parsedOrDropped<Payload>(
        logger: Logger, _ parse: ([UInt8]) throws(ChargingError) -> Payload
    ) -> Payload? {
        do {
            return try parse(payload)
        } catch {
            logger.warning(
                "malformed message dropped",
                metadata: ["topic": "\(topic)", "error": "\(error.message)", "bytes": "\(payload.count)"])
            return nil
        }
    }
}
