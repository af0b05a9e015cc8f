import BSON
import ChargingWire
import DataAPI
import FunctionRuntime
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension MeterReading {
    /// The largest energy a reading may report, Wh.
    public static let energyWhRange: ClosedRange<Double> = 0...1e12

    /// Decodes a payload: `sessionId` a valid id, `energyWh` a number (rounded to whole Wh), `seq` an integer.
    /// Throws a ``ChargingError`` naming the field. The values' bounds (energy physically possible, `seq` in
    /// range) depend on the session: ``MeterPlausibility`` checks them, so a violation is counted on it.
    public static func parse(_ payload: [UInt8]) throws(ChargingError) -> MeterReading {
        guard payload.count <= RequestBody.maxBytes else {
            throw ChargingError(.malformedRequest, "payload is larger than \(RequestBody.maxBytes) bytes")
        }
        var reading = try ChargingError.fromWire { () throws(ChargingWireError) in try MeterReading.decode(payload) }
        guard StartRequest.isValidID(reading.sessionId) else {
            throw .invalid("sessionId", "must be 1-\(StartRequest.maxIDLength) characters from A-Z a-z 0-9 . _ : -")
        }
        reading.energyWh = reading.energyWh.rounded()
        return reading
    }

    /// The energy in whole Wh (``parse(_:)`` has rounded it), clamped to ``energyWhRange``.
    public var wholeEnergyWh: Int64 {
        guard energyWh.isFinite else { return 0 }
        return Int64(
            Swift.min(Swift.max(energyWh, Self.energyWhRange.lowerBound), Self.energyWhRange.upperBound).rounded())
    }
}

/// A message on `charging/updates` (``ChargingUpdate``), validated: what to do.
public enum ChargingCommand: Sendable, Hashable {
    /// Start a session (missing fields took the configured defaults).
    case start(StartRequest)
    /// Stop `sessionId`, only when it is on `chargingPointId` if the message names one.
    case stop(sessionId: String, chargingPointId: String?)
    /// Stop the active session of `chargingPointId` (the message's, else the configured default): a `Stopped`
    /// without a session id.
    case stopActive(chargingPointId: String)

    /// Decodes and validates a payload with the rules of `/start` and `/stop`; throws a ``ChargingError``
    /// naming what is wrong.
    public static func parse(_ payload: [UInt8], defaults: ChargingDefaults) throws(ChargingError) -> ChargingCommand {
        guard payload.count <= RequestBody.maxBytes else {
            throw ChargingError(.malformedRequest, "payload is larger than \(RequestBody.maxBytes) bytes")
        }
        let update = try ChargingError.fromWire { () throws(ChargingWireError) in
            try ChargingUpdate.decode(payload)
        }
        guard let status = SessionStatus(anySpelling: update.status) else {
            throw .invalid("status", "must be Charging or Stopped")
        }
        let object = update.requestObject
        switch status {
        case .charging:
            return .start(try StartRequest.validate(object, defaults: defaults))
        case .stopped:
            let fields = RequestFields(object, nullMeansAbsent: true)
            guard update.sessionId != nil else {
                return .stopActive(chargingPointId: try fields.id("chargingPointId", default: defaults.chargingPointId))
            }
            return .stop(
                sessionId: try fields.id("sessionId"),
                chargingPointId: update.chargingPointId == nil ? nil : try fields.id("chargingPointId"))
        }
    }
}

extension ChargingUpdate {
    /// The message as a request object, so that `/start`'s validation applies to it unchanged.
    var requestObject: Document {
        let strings: [(String, String?)] = [
            ("status", status), ("chargingPointId", chargingPointId), ("sessionId", sessionId), ("userId", userId),
            ("vehicleId", vehicleId),
        ]
        let numbers: [(String, Double?)] = [
            ("maxPower", maxPower), ("targetCharge", targetCharge), ("batteryCapacity", batteryCapacity),
            ("currentCharge", currentCharge),
        ]
        return Document(
            strings.compactMap { name, value in value.map { (name, BSONValue.string($0)) } }
                + numbers.compactMap { name, value in value.map { (name, BSONValue.double($0)) } })
    }
}

extension ChargingError {
    /// Runs a ChargingWire decode, turning its error into a 400 ``ChargingError`` (a member at fault is a
    /// validation error, anything else a malformed request).
    static func fromWire<Value>(_ decode: () throws(ChargingWireError) -> Value) throws(ChargingError) -> Value {
        do {
            return try decode()
        } catch {
            switch error.code {
            case .invalidMember: throw ChargingError(.validation, error.message, underlying: error)
            case .malformedPayload, .unencodable:
                throw ChargingError(.malformedRequest, error.message, underlying: error)
            }
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

extension SQSMessage {
    /// The body as the IoT rule event it carries (`{data, topic, ts}`), or nil (logged) when it is not one.
    public func topicMessage(logger: Logger) -> TopicMessage? {
        do {
            return try JSONCoding.decoder.decode(TopicMessage.self, from: Data(body.utf8))
        } catch {
            logger.warning(
                "malformed queue message dropped: the body is not an IoT rule event",
                metadata: ["messageId": "\(messageId)", "bytes": "\(body.utf8.count)"])
            return nil
        }
    }

    /// The meter reading this message carries (topic `chargers/{chargingPointId}/meter`), or nil when the body,
    /// the topic or the reading is malformed (logged with the topic and dropped).
    public func meterBatchItem(logger: Logger) -> MeterBatchItem? {
        guard let message = topicMessage(logger: logger) else { return nil }
        guard let chargingPointId = Topics.meterChargingPoint(message.topic), StartRequest.isValidID(chargingPointId)
        else {
            logger.warning(
                "message on an unexpected topic dropped",
                metadata: ["topic": "\(message.topic)", "messageId": "\(messageId)"])
            return nil
        }
        guard let reading = message.parsedOrDropped(logger: logger, MeterReading.parse) else { return nil }
        return MeterBatchItem(id: messageId, chargingPointId: chargingPointId, reading: reading)
    }
}
