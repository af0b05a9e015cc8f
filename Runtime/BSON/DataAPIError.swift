import Essentials

/// Errors of the Data API, on both sides of the wire. The code's raw value is the `error_code` string of
/// the `{error, error_code}` response envelope.
public typealias DataAPIError = CodedError<DataAPIErrorCode>

/// The codes of ``DataAPIError``.
public enum DataAPIErrorCode: String, ErrorCode, CaseIterable {
    /// The request is malformed or uses an unsupported operator (400).
    case invalidParameter = "InvalidParameter"
    /// No API key, or a wrong one (401).
    case unauthorized = "Unauthorized"
    /// Unknown action (404).
    case actionNotFound = "ActionNotFound"
    /// A write violated a unique index, like MongoDB's E11000 (409).
    case duplicateKey = "DuplicateKey"
    /// The request body is larger than the server accepts (413).
    case payloadTooLarge = "PayloadTooLarge"
    /// The backend failed (500).
    case backendFailure = "InternalServerError"
    /// The backend cannot be reached (503).
    case backendUnavailable = "ServiceUnavailable"
    /// Client side: the request could not be sent or timed out.
    case transport = "Transport"
    /// Client side: the server answered something that is not a Data API response.
    case unexpectedResponse = "UnexpectedResponse"

    /// The HTTP status that carries this code; 0 for client-side codes.
    public var httpStatus: Int {
        switch self {
        case .invalidParameter: return 400
        case .unauthorized: return 401
        case .actionNotFound: return 404
        case .duplicateKey: return 409
        case .payloadTooLarge: return 413
        case .backendFailure: return 500
        case .backendUnavailable: return 503
        case .transport, .unexpectedResponse: return 0
        }
    }

    /// The code for an HTTP status returned by a server without a recognised `error_code`.
    public static func forStatus(_ status: Int) -> DataAPIErrorCode {
        switch status {
        case 401, 403: return .unauthorized
        case 404: return .actionNotFound
        case 409: return .duplicateKey
        case 413: return .payloadTooLarge
        case 503: return .backendUnavailable
        case 400..<500: return .invalidParameter
        default: return .backendFailure
        }
    }
}

extension CodedError where Code == DataAPIErrorCode {
    /// The HTTP status that carries the code; 0 for client-side codes.
    public var httpStatus: Int { code.httpStatus }

    /// The wire envelope `{"error": message, "error_code": code}`; never the underlying error.
    public var envelope: Document { ["error": .string(message), "error_code": .string(code.rawValue)] }
}
