import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a handler knows about the invocation it is serving.
///
/// Modelled on swift-aws-lambda-runtime's `LambdaContext`: a small value carrying the request id,
/// deadline, function ARN, trace id and a logger whose metadata carries the request id.
public struct FunctionContext: Sendable {
    /// The Lambda request id (`Lambda-Runtime-Aws-Request-Id`).
    public let requestID: String
    /// The invocation deadline, milliseconds since the epoch (`Lambda-Runtime-Deadline-Ms`).
    public let deadlineMilliseconds: Int64
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    public let invokedFunctionARN: String
    /// `Lambda-Runtime-Trace-Id`, when tracing is on.
    public let traceID: String?
    /// A logger with `requestID` metadata.
    public let logger: Logger

    public init(
        requestID: String, deadlineMilliseconds: Int64, invokedFunctionARN: String = "", traceID: String? = nil,
        logger: Logger
    ) {
        self.requestID = requestID
        self.deadlineMilliseconds = deadlineMilliseconds
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        var logger = logger
        logger[metadataKey: "requestID"] = "\(requestID)"
        self.logger = logger
    }

    /// The deadline as a `Date`.
    public var deadline: Date { Date(timeIntervalSince1970: Double(deadlineMilliseconds) / 1000) }

    /// Time left before the deadline (negative when passed).
    public var remainingTime: Duration {
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        return .milliseconds(deadlineMilliseconds - now)
    }

    /// A context for tests and `--event` invocations.
    public static func local(
        requestID: String = UUID().uuidString.lowercased(), timeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "evcsm.local")
    ) -> FunctionContext {
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        return FunctionContext(
            requestID: requestID, deadlineMilliseconds: now + timeout.components.seconds * 1000,
            invokedFunctionARN: "arn:aws:lambda:local:000000000000:function:local", logger: logger)
    }
}
