import Essentials
import FunctionRuntime

/// Every domain error of the charging functions, mapped to an HTTP answer with the standard
/// `{error, message, timestamp}` envelope; the code's raw value is the envelope's `error`.
public typealias ChargingError = CodedError<ChargingErrorCode>

/// The codes of ``ChargingError``.
public enum ChargingErrorCode: String, ErrorCode {
    /// A request field is missing or out of range (400, names the field).
    case validation = "ValidationError"
    /// The body is not JSON, not an object or too large (400).
    case malformedRequest = "BadRequest"
    /// The request carries no signed-in caller under `AUTH_MODE=jwt` (401; ``Caller``).
    case unauthorized = "Unauthorized"
    /// The caller may not do this: a driver on an operator-only route or acting as another user (403).
    case forbidden = "Forbidden"
    /// No session with that id (404).
    case sessionNotFound = "NotFound"
    /// The charging point already has a `Charging` session (409).
    case chargingPointBusy = "Conflict"
    /// The store is unreachable or restarting, or concurrent writes kept changing the session during a stop
    /// (503, retry).
    case storeContention = "ServiceUnavailable"
    /// The OCPP charger has no WebSocket connection (409).
    case chargerNotConnected = "ChargerNotConnected"
    /// The OCPP charger answered a call with `Rejected` (409).
    case chargerRejected = "ChargerRejected"
    /// The OCPP charger did not answer a call in time (504).
    case chargerTimeout = "ChargerTimeout"
    /// The OCPP charger has another CSMS call outstanding (409; at most one per charger, OCPP-J §4.1.1).
    case chargerBusy = "ChargerBusy"
    /// The charging point is registered as an MQTT charger, so OCPP commands cannot reach it (409).
    case notOcppCharger = "NotAnOcppCharger"
    /// A function is not configured for what the request needs, e.g. OCPP calls without
    /// `OCPP_CONNECTIONS_ENDPOINT` (503).
    case notConfigured = "NotConfigured"

    /// The HTTP status of the code.
    public var httpStatus: Int {
        switch self {
        case .validation, .malformedRequest: return 400
        case .unauthorized: return 401
        case .forbidden: return 403
        case .sessionNotFound: return 404
        case .chargingPointBusy, .chargerNotConnected, .chargerRejected, .chargerBusy, .notOcppCharger: return 409
        case .storeContention, .notConfigured: return 503
        case .chargerTimeout: return 504
        }
    }
}

extension CodedError where Code == ChargingErrorCode {
    /// A validation error naming `field`; the message starts with the field name.
    public static func invalid(_ field: String, _ problem: String) -> ChargingError {
        ChargingError(.validation, "\(field) \(problem)")
    }
}

extension CodedError: HTTPErrorConvertible where Code == ChargingErrorCode {
    /// The HTTP status of the code.
    public var httpStatus: Int { code.httpStatus }
    /// The code's raw value, e.g. `ValidationError`.
    public var errorName: String { code.rawValue }
    /// The message; never the underlying error.
    public var publicMessage: String { message }
}
