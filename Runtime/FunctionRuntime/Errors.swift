import Essentials

/// An error a handler can throw to produce a specific HTTP answer with the standard envelope
/// `{error, message, timestamp}`.
public protocol HTTPErrorConvertible: Error {
    /// The HTTP status code (4xx for the caller's mistakes, 5xx for ours).
    var httpStatus: Int { get }
    /// The short error name that goes into the envelope's `error` field, e.g. `ValidationError`.
    var errorName: String { get }
    /// A message safe to show to the caller.
    var publicMessage: String { get }
}

/// Errors of the function runtime itself.
public typealias FunctionRuntimeError = CodedError<FunctionRuntimeErrorCode>

/// The codes of ``FunctionRuntimeError``.
public enum FunctionRuntimeErrorCode: String, ErrorCode {
    /// A required environment variable is missing or invalid (init error).
    case invalidEnvironment
    /// The Runtime API could not be reached or answered unexpectedly.
    case runtimeAPI
    /// The event could not be decoded.
    case invalidEvent
    /// The output could not be encoded.
    case invalidOutput
    /// An HTTP request made through libcurl failed (connection, timeout).
    case transport
    /// Bad command-line usage of a function binary.
    case usage
}
