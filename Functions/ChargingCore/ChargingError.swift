import FunctionRuntime

/// Every domain error of the charging functions: one struct with a code, mapped to an HTTP answer
/// with the standard `{error, message, timestamp}` envelope.
public struct ChargingError: Error, HTTPErrorConvertible, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable, Equatable {
        /// A request field is missing or out of range (400, names the field).
        case validation = "ValidationError"
        /// The body is not JSON, not an object or too large (400).
        case malformedRequest = "BadRequest"
        /// No session with that id (404).
        case sessionNotFound = "NotFound"
        /// The charging point already has a `Charging` session (409).
        case chargingPointBusy = "Conflict"
        /// Concurrent writes kept changing the session during a stop (503, retry).
        case storeContention = "ServiceUnavailable"

        /// The HTTP status of the code.
        public var httpStatus: Int {
            switch self {
            case .validation, .malformedRequest: return 400
            case .sessionNotFound: return 404
            case .chargingPointBusy: return 409
            case .storeContention: return 503
            }
        }
    }

    public let code: Code
    public let message: String
    /// The offending request field or query parameter, for validation errors.
    public let field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    /// A validation error naming `field`; the message starts with the field name.
    public static func invalid(_ field: String, _ problem: String) -> ChargingError {
        ChargingError(.validation, "\(field) \(problem)", field: field)
    }

    public var httpStatus: Int { code.httpStatus }
    public var errorName: String { code.rawValue }
    public var publicMessage: String { message }
    public var description: String { "\(code.rawValue): \(message)" }
}
