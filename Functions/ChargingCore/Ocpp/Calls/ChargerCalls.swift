import ChargingWire

/// How a charger answered a CSMS call.
public enum OcppCallOutcome: Sendable, Hashable {
    /// A CALLRESULT with this payload.
    case result(OcppJSON)
    /// A CALLERROR.
    case error(code: String, description: String)
}

/// CSMS→charger calls (RemoteStartTransaction, Reset, …) over the charger's WebSocket connection.
public protocol ChargerCalls: Sendable {
    /// Sends a CALL to the charger's current connection and waits up to `timeout` for its answer. Throws
    /// ``ChargingError`` `.chargerNotConnected`, `.chargerBusy` (another call is outstanding) or `.chargerTimeout`.
    func call(
        chargePointId: String, action: String, payload: OcppJSON, timeout: Duration
    ) async throws
        -> OcppCallOutcome
    /// Sends a CALL without waiting; the answer is consumed by OcppMessage.
    func send(chargePointId: String, action: String, payload: OcppJSON) async throws
}

/// The outstanding CSMS calls (`OcppCalls`, at most one per charger).
public protocol OutstandingCallStore: Sendable {
    /// Records the charger's answer to the CSMS call `messageId`; false when no such call is outstanding (the
    /// answer is then ignored, as OCPP-J says).
    func resolve(chargePointId: String, messageId: String, outcome: OcppCallOutcome) async throws -> Bool
}

/// The API Gateway management API of the WebSocket API (`@connections`).
public protocol ConnectionManagement: Sendable {
    /// Sends `data` as one message to the connection; false when it is gone (410).
    func post(connectionId: String, data: [UInt8]) async throws -> Bool
    /// Closes the connection.
    func delete(connectionId: String) async throws
}

/// One CSMS call in flight: the `OcppCalls` document of its charger.
public struct OutstandingCall: Sendable, Hashable {
    public var chargePointId: String
    /// The CALL's UniqueId.
    public var messageId: String
    /// The connection it was sent on.
    public var connectionId: String
    public var action: String
    /// When it was sent (ms since the epoch).
    public var sentAt: Int64
    /// Until when it holds the charger (ms since the epoch); a later call takes a stale one over.
    public var deadline: Int64
    /// True when the sender waits for the answer (``ChargerCalls/call``); false for ``ChargerCalls/send``, whose
    /// document is removed when the answer arrives.
    public var awaited: Bool

    public init(
        chargePointId: String, messageId: String, connectionId: String, action: String, sentAt: Int64,
        deadline: Int64, awaited: Bool
    ) {
        self.chargePointId = chargePointId
        self.messageId = messageId
        self.connectionId = connectionId
        self.action = action
        self.sentAt = sentAt
        self.deadline = deadline
        self.awaited = awaited
    }
}

/// The whole life of an outstanding call, as ``OcppChargerCalls`` drives it: claim, poll, remove (and
/// ``OutstandingCallStore/resolve(chargePointId:messageId:outcome:)`` from OcppMessage in between).
public protocol OutstandingCallRecords: OutstandingCallStore {
    /// Records `call` as its charger's one outstanding call. A stored call whose deadline passed before
    /// `call.sentAt` is removed and the claim retried once; otherwise throws ``ChargingError`` `.chargerBusy`.
    func claim(_ call: OutstandingCall) async throws
    /// The charger's answer to the call, nil while it has none (or the call is no longer stored).
    func outcome(chargePointId: String, messageId: String) async throws -> OcppCallOutcome?
    /// Removes the call (that exact one: a newer call of the charger stays).
    func remove(chargePointId: String, messageId: String) async throws
}
