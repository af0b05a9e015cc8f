/// The CALLERROR codes of OCPP-J 1.6 (§4.2.3, Table 7), spelled as the specification spells them.
public enum OcppErrorCode: String, Sendable, Hashable, CaseIterable {
    /// The action is not known by the receiver.
    case notImplemented = "NotImplemented"
    /// The action is recognized but not supported by the receiver.
    case notSupported = "NotSupported"
    /// An internal error occurred and the receiver was not able to process the action successfully.
    case internalError = "InternalError"
    /// The payload for the action is incomplete.
    case protocolError = "ProtocolError"
    /// During the processing of the action a security issue occurred.
    case securityError = "SecurityError"
    /// The payload is syntactically incorrect or does not conform to the PDU structure of the action.
    case formationViolation = "FormationViolation"
    /// The payload is syntactically correct but at least one field contains an invalid value.
    case propertyConstraintViolation = "PropertyConstraintViolation"
    /// The payload is syntactically correct but at least one field violates occurrence constraints.
    case occurenceConstraintViolation = "OccurenceConstraintViolation"
    /// The payload is syntactically correct but at least one field violates data type constraints.
    case typeConstraintViolation = "TypeConstraintViolation"
    /// Any other error.
    case genericError = "GenericError"
}

/// One OCPP-J message: `[2, id, action, payload]`, `[3, id, payload]` or `[4, id, code, description, details]`.
public enum OcppFrame: Sendable, Hashable {
    case call(messageId: String, action: String, payload: OcppJSON)
    case callResult(messageId: String, payload: OcppJSON)
    case callError(messageId: String, code: String, description: String, details: OcppJSON)

    /// The longest unique message id OCPP-J allows.
    public static let maximumMessageIdLength = 36

    /// The message id of any of the three forms.
    public var messageId: String {
        switch self {
        case .call(let id, _, _), .callResult(let id, _), .callError(let id, _, _, _): return id
        }
    }

    /// Reads one message. The error says which CALLERROR to answer with, and the message id when it could be read.
    public static func parse(_ bytes: some Collection<UInt8>) -> Result<OcppFrame, OcppFrameError> {
        guard let json = try? OcppJSON.parse(bytes) else {
            return .failure(OcppFrameError(.formationViolation, "the message is not JSON"))
        }
        guard case .array(let items) = json, let first = items.first else {
            return .failure(OcppFrameError(.formationViolation, "the message is not a non-empty JSON array"))
        }
        let messageId = items.count > 1 ? items[1].stringValue : nil
        guard let typeId = first.int64Value else {
            return .failure(
                OcppFrameError(.formationViolation, "the MessageTypeId is not an integer", messageId: messageId))
        }
        func failure(_ code: OcppErrorCode, _ text: String) -> Result<OcppFrame, OcppFrameError> {
            .failure(OcppFrameError(code, text, messageId: messageId, messageTypeId: typeId))
        }
        guard [2, 3, 4].contains(typeId) else { return failure(.protocolError, "unknown MessageTypeId \(typeId)") }
        let expected = typeId == 2 ? 4 : typeId == 3 ? 3 : 5
        guard items.count == expected else {
            return failure(.protocolError, "a message of type \(typeId) has \(expected) elements, not \(items.count)")
        }
        guard let id = messageId else { return failure(.formationViolation, "the UniqueId is not a string") }
        guard !id.isEmpty, id.utf8.count <= maximumMessageIdLength else {
            return failure(.formationViolation, "the UniqueId must have 1 to \(maximumMessageIdLength) characters")
        }
        switch typeId {
        case 2:
            guard let action = items[2].stringValue, !action.isEmpty else {
                return failure(.formationViolation, "the Action is not a string")
            }
            guard items[3].objectValue != nil else {
                return failure(.formationViolation, "the payload is not an object")
            }
            return .success(.call(messageId: id, action: action, payload: items[3]))
        case 3:
            guard items[2].objectValue != nil else {
                return failure(.formationViolation, "the payload is not an object")
            }
            return .success(.callResult(messageId: id, payload: items[2]))
        default:
            guard let code = items[2].stringValue, let description = items[3].stringValue,
                items[4].objectValue != nil
            else { return failure(.formationViolation, "a CALLERROR is [4, id, code, description, {details}]") }
            return .success(.callError(messageId: id, code: code, description: description, details: items[4]))
        }
    }

    /// The message as OCPP-J text.
    public func serialized() -> [UInt8] {
        switch self {
        case .call(let id, let action, let payload):
            return OcppJSON.array([2, .string(id), .string(action), payload]).serialized()
        case .callResult(let id, let payload):
            return OcppJSON.array([3, .string(id), payload]).serialized()
        case .callError(let id, let code, let description, let details):
            return OcppJSON.array([4, .string(id), .string(code), .string(description), details]).serialized()
        }
    }

    /// ``serialized()`` as a string (a WebSocket text message).
    public var text: String { String(decoding: serialized(), as: UTF8.self) }

    /// A CALLERROR answering `messageId` (`"-1"` when the id could not be read).
    public static func error(
        answering messageId: String?, _ code: OcppErrorCode, _ description: String, details: OcppJSON = [:]
    ) -> OcppFrame {
        .callError(messageId: messageId ?? "-1", code: code.rawValue, description: description, details: details)
    }
}

/// Why a message could not be read, and how to answer it.
public struct OcppFrameError: Error, Sendable, Hashable {
    /// The CALLERROR code to answer with.
    public var code: OcppErrorCode
    public var description: String
    /// The message id, when the message had a readable one.
    public var messageId: String?
    /// The MessageTypeId, when it was an integer. A CALLRESULT or CALLERROR (3, 4) is never answered.
    public var messageTypeId: Int64?

    public init(_ code: OcppErrorCode, _ description: String, messageId: String? = nil, messageTypeId: Int64? = nil) {
        self.code = code
        self.description = description
        self.messageId = messageId
        self.messageTypeId = messageTypeId
    }

    /// Whether the receiver answers with a CALLERROR: not for a broken CALLRESULT or CALLERROR.
    public var isAnswered: Bool { messageTypeId != 3 && messageTypeId != 4 }

    /// The CALLERROR that answers it.
    public var answer: OcppFrame { OcppFrame.error(answering: messageId, code, description) }
}
