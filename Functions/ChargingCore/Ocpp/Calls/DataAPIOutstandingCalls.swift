import BSON
import ChargingWire
import DataAPI
import Logging

/// The outstanding CSMS calls in the `OcppCalls` collection, through the Data API: `{_id: chargePointId,
/// messageId, connectionId, action, sentAt, deadline (dates), awaited, answered, result? | errorCode?,
/// errorDescription?}`.
///
/// `_id` = the charger, so `insertOne` is the claim: at most one outstanding call per charger (OCPP-J §4.1.1).
/// A duplicate whose deadline passed is deleted (that exact stale call, by `_id` + `messageId`) and the claim
/// retried once; a live one makes the charger busy. An answer is recorded with `updateOne` by `_id` + `messageId`
/// (the waiting sender polls it); the answer to a call nobody waits for deletes its document instead.
public struct DataAPIOutstandingCalls: OutstandingCallRecords {
    /// The collection.
    public static let collection = "OcppCalls"

    private let client: DataAPIClient
    private let logger: Logger

    public init(client: DataAPIClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func claim(_ call: OutstandingCall) async throws {
        try await DataAPISessionStore.available {
            for attempt in 0..<2 {
                do {
                    _ = try client.insertOne(Self.collection, document: Self.document(call))
                    return
                } catch let error as DataAPIError where error.code == .duplicateKey {
                    let stored = try client.findOne(Self.collection, filter: ["_id": .string(call.chargePointId)])
                    guard attempt == 0, let stored, let messageId = stored["messageId"]?.stringValue,
                        let deadline = stored["deadline"]?.datetimeValue, deadline < call.sentAt
                    else {
                        let action = stored?["action"]?.stringValue ?? "a call"
                        throw ChargingError(
                            .chargerBusy, "charger \(call.chargePointId) has another call outstanding (\(action))")
                    }
                    logger.notice(
                        "taking over a stale outstanding call",
                        metadata: ["chargePointId": "\(call.chargePointId)", "messageId": "\(messageId)"])
                    _ = try client.deleteOne(Self.collection, filter: Self.filter(call.chargePointId, messageId))
                }
            }
        }
    }

    public func resolve(chargePointId: String, messageId: String, outcome: OcppCallOutcome) async throws -> Bool {
        try await DataAPISessionStore.available {
            var filter = Self.filter(chargePointId, messageId)
            filter["awaited"] = .bool(true)
            filter["answered"] = .bool(false)
            if try client.updateOne(Self.collection, filter: filter, update: ["$set": .document(Self.answer(outcome))])
                .matchedCount > 0
            {
                return true
            }
            var notAwaited = Self.filter(chargePointId, messageId)
            notAwaited["awaited"] = .bool(false)
            return try client.deleteOne(Self.collection, filter: notAwaited) > 0
        }
    }

    public func outcome(chargePointId: String, messageId: String) async throws -> OcppCallOutcome? {
        try await DataAPISessionStore.available {
            guard let stored = try client.findOne(Self.collection, filter: Self.filter(chargePointId, messageId)),
                stored["answered"]?.boolValue == true
            else { return nil }
            if let code = stored["errorCode"]?.stringValue {
                return .error(code: code, description: stored["errorDescription"]?.stringValue ?? "")
            }
            return .result(stored["result"].map(OcppJSON.init(bson:)) ?? .object([:]))
        }
    }

    public func remove(chargePointId: String, messageId: String) async throws {
        try await DataAPISessionStore.available {
            _ = try client.deleteOne(Self.collection, filter: Self.filter(chargePointId, messageId))
        }
    }

    static func filter(_ chargePointId: String, _ messageId: String) -> Document {
        ["_id": .string(chargePointId), "messageId": .string(messageId)]
    }

    static func document(_ call: OutstandingCall) -> Document {
        [
            "_id": .string(call.chargePointId), "messageId": .string(call.messageId),
            "connectionId": .string(call.connectionId), "action": .string(call.action),
            "sentAt": .datetime(call.sentAt), "deadline": .datetime(call.deadline), "awaited": .bool(call.awaited),
            "answered": .bool(false),
        ]
    }

    static func answer(_ outcome: OcppCallOutcome) -> Document {
        switch outcome {
        case .result(let payload): return ["answered": .bool(true), "result": payload.bson]
        case .error(let code, let description):
            return ["answered": .bool(true), "errorCode": .string(code), "errorDescription": .string(description)]
        }
    }
}
