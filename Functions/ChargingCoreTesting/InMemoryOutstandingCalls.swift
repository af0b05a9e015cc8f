import ChargingCore

/// An ``OutstandingCallRecords`` in memory with the semantics of ``DataAPIOutstandingCalls``, for tests.
public actor InMemoryOutstandingCalls: OutstandingCallRecords {
    /// A stored call and the charger's answer once it came.
    public struct Record: Sendable, Hashable {
        public var call: OutstandingCall
        public var outcome: OcppCallOutcome?
    }

    /// Charge point → its outstanding call.
    public private(set) var records: [String: Record]
    /// Every call ever claimed, in order.
    public private(set) var claimed: [OutstandingCall] = []

    public init(_ calls: [OutstandingCall] = []) {
        records = Dictionary(calls.map { ($0.chargePointId, Record(call: $0)) }, uniquingKeysWith: { $1 })
    }

    public func claim(_ call: OutstandingCall) throws {
        if let stored = records[call.chargePointId], stored.call.deadline >= call.sentAt {
            throw ChargingError(
                .chargerBusy, "charger \(call.chargePointId) has another call outstanding (\(stored.call.action))")
        }
        records[call.chargePointId] = Record(call: call)
        claimed.append(call)
    }

    public func resolve(chargePointId: String, messageId: String, outcome: OcppCallOutcome) -> Bool {
        guard let stored = records[chargePointId], stored.call.messageId == messageId, stored.outcome == nil else {
            return false
        }
        records[chargePointId] = stored.call.awaited ? Record(call: stored.call, outcome: outcome) : nil
        return true
    }

    public func outcome(chargePointId: String, messageId: String) -> OcppCallOutcome? {
        guard let stored = records[chargePointId], stored.call.messageId == messageId else { return nil }
        return stored.outcome
    }

    public func remove(chargePointId: String, messageId: String) {
        if records[chargePointId]?.call.messageId == messageId { records[chargePointId] = nil }
    }

    /// The charger's outstanding call, if any.
    public func call(chargePointId: String) -> OutstandingCall? { records[chargePointId]?.call }
}
