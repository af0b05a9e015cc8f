import ChargingWire
import Logging

/// The connected charger a message came from: its identity and registration.
public struct OcppPeer: Sendable, Hashable {
    public var chargePointId: String
    public var connectionId: String
    public var registration: ChargerRegistration

    public init(chargePointId: String, connectionId: String, registration: ChargerRegistration) {
        self.chargePointId = chargePointId
        self.connectionId = connectionId
        self.registration = registration
    }
}

/// Runs one charger→CSMS CALL: the action's handler after its schema check, with the CALLERROR of OCPP-J §4.2.3
/// for everything that goes wrong (docs/OCPP.md "Errors"):
/// - an action OCPP 1.6 does not have → `NotImplemented`; a 1.6 action without a handler here (one the Central
///   System sends, e.g. `Reset`, or a charger action nobody registered) → `NotSupported`;
/// - a payload that breaks the action's schema → its `TypeConstraintViolation` / `PropertyConstraintViolation` /
///   `OccurenceConstraintViolation`;
/// - an ``OcppCallError`` from the handler → that CALLERROR; any other error (a store failure) → `InternalError`,
///   logged with the request id. The charger resends transaction messages (StartTransaction, MeterValues with
///   transaction data, StopTransaction) up to its `TransactionMessageAttempts`.
public struct OcppDispatcher: Sendable {
    private let handlers: [String: any OcppActionHandler]

    /// A dispatcher over `handlers` (one per action; a later one for the same action replaces the earlier).
    public init(_ handlers: [any OcppActionHandler]) {
        var table: [String: any OcppActionHandler] = [:]
        for handler in handlers { table[type(of: handler).action] = handler }
        self.handlers = table
    }

    /// The actions with a handler.
    public var actions: Set<String> { Set(handlers.keys) }

    /// The answer to the CALL `messageId` / `action` / `payload` from `peer`: a CALLRESULT or a CALLERROR.
    public func dispatch(
        messageId: String, action: String, payload: OcppJSON, peer: OcppPeer, receivedAt: Int64, logger: Logger
    ) async -> OcppFrame {
        guard let handler = handlers[action] else {
            let known = OcppSchemas.chargerInitiated.contains(action) || OcppSchemas.csmsInitiated.contains(action)
            return known
                ? .error(answering: messageId, .notSupported, "\(action) is not supported by this Central System")
                : .error(answering: messageId, .notImplemented, "unknown action \(action)")
        }
        if let violation = OcppSchemas.validate(payload, action: action, kind: .request) {
            logger.info(
                "OCPP payload refused",
                metadata: [
                    "action": "\(action)", "code": "\(violation.code.rawValue)", "why": "\(violation.description)",
                ])
            return .error(answering: messageId, violation.code, violation.description)
        }
        let context = OcppCallContext(
            chargePointId: peer.chargePointId, connectionId: peer.connectionId, messageId: messageId,
            receivedAt: receivedAt, registration: peer.registration, logger: logger)
        do {
            return .callResult(messageId: messageId, payload: try await handler.handle(payload, context: context))
        } catch let error as OcppCallError {
            return .error(answering: messageId, error.code, error.description)
        } catch {
            logger.error(
                "OCPP action failed",
                metadata: [
                    "action": "\(action)", "chargePointId": "\(peer.chargePointId)",
                    "error": "\(String(reflecting: error))",
                ])
            return .error(answering: messageId, .internalError, "\(action) could not be processed; retry later")
        }
    }
}

extension OcppDispatcher {
    /// The Central System's handlers: the six charger-state actions and the four transaction actions.
    public static func live(_ deps: OcppDependencies) -> OcppDispatcher {
        OcppDispatcher([
            BootNotificationAction(deps), HeartbeatAction(deps), StatusNotificationAction(deps),
            DataTransferAction(deps), DiagnosticsStatusNotificationAction(deps),
            FirmwareStatusNotificationAction(deps), AuthorizeAction(deps), StartTransactionAction(deps),
            MeterValuesAction(deps), StopTransactionAction(deps),
        ])
    }
}
