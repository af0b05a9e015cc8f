import ChargingWire
import Logging

/// What an action handler gets besides its payload.
public struct OcppCallContext: Sendable {
    /// The charge point's identity (its chargePointId).
    public var chargePointId: String
    /// The API Gateway connection the message came on.
    public var connectionId: String
    /// The CALL's UniqueId.
    public var messageId: String
    /// When the message reached the CSMS (server ms since the epoch).
    public var receivedAt: Int64
    /// The connected charger's registration (connectors and their maxPower).
    public var registration: ChargerRegistration
    public var logger: Logger

    public init(
        chargePointId: String, connectionId: String, messageId: String, receivedAt: Int64,
        registration: ChargerRegistration, logger: Logger
    ) {
        self.chargePointId = chargePointId
        self.connectionId = connectionId
        self.messageId = messageId
        self.receivedAt = receivedAt
        self.registration = registration
        self.logger = logger
    }
}

/// One charger→CSMS action of OCPP 1.6J (one small type each), run by OcppMessage's dispatcher after the payload
/// passed the action's schema (``OcppSchemas``).
public protocol OcppActionHandler: Sendable {
    /// The action's name, e.g. `BootNotification`.
    static var action: String { get }
    /// Handles the request; returns the CALLRESULT payload. Throws ``OcppCallError`` for a CALLERROR; any other
    /// error is answered with `InternalError` (and logged).
    func handle(_ payload: OcppJSON, context: OcppCallContext) async throws -> OcppJSON
}

/// Thrown by OCPP handlers and the schema check for a CALLERROR.
public struct OcppCallError: Error, Sendable, Hashable {
    public var code: OcppErrorCode
    public var description: String

    public init(_ code: OcppErrorCode, _ description: String) {
        self.code = code
        self.description = description
    }
}

/// Whether a payload is a request (`.req`, the CALL's) or a confirmation (`.conf`, the CALLRESULT's).
public enum OcppMessageKind: String, Sendable, Hashable {
    case request
    case confirmation
}
