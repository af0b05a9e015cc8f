/// A module's error codes: a string-backed enum whose raw value is what logs and messages show.
public protocol ErrorCode: RawRepresentable, Sendable, Hashable where RawValue == String {}

/// One error type per module, told apart by its code enum, like swift-aws-lambda-runtime's
/// `LambdaRuntimeError`: `CodedError<FunctionRuntimeErrorCode>` is `FunctionRuntimeError`, the Data API's is
/// `DataAPIError`, the charging domain's `ChargingError`, the local runner's `LocalRunnerError`.
///
/// The error that caused it, if any, is kept in ``underlying`` for logs; it takes no part in equality, and
/// ``description`` never includes it, so a message shown to a caller says only what ``message`` says.
public struct CodedError<Code: ErrorCode>: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public let code: Code
    /// A human-readable message.
    public let message: String
    /// The error this one was made from (a transport failure, a decoding error), for logs.
    public let underlying: (any Error & Sendable)?

    /// An error with `code` and `message`, made from `underlying` when given.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }

    /// `code: message`, followed by the underlying error when there is one; for log lines, not for callers.
    public var debugDescription: String {
        guard let underlying else { return description }
        return "\(description) (caused by: \(String(describing: underlying)))"
    }

    public static func == (lhs: CodedError, rhs: CodedError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }
}
