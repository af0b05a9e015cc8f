import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The Lambda Runtime API loop: `/next` → handler → `/response` or `/error`, one invocation at a time.
///
/// Testable in-process: point a ``RuntimeAPIClient`` at an in-test Runtime API and call
/// `run(maxInvocations:)`. The Runtime API calls block the calling thread (see ``HTTPTransport``).
public struct FunctionRuntimeLoop: Sendable {
    public let client: RuntimeAPIClient
    public let adapter: any InvocationAdapter
    public let logger: Logger
    /// When set, the first invocation logs a cold start with this init duration.
    public let initDuration: Duration?

    public init(client: RuntimeAPIClient, adapter: any InvocationAdapter, logger: Logger, initDuration: Duration? = nil)
    {
        self.client = client
        self.adapter = adapter
        self.logger = logger
        self.initDuration = initDuration
    }

    /// A loop for `handler` with the adapter ``makeInvocationAdapter(for:)`` picks.
    public init<Handler: FunctionHandler>(
        client: RuntimeAPIClient, handler: Handler, logger: Logger, initDuration: Duration? = nil
    ) {
        self.init(
            client: client, adapter: makeInvocationAdapter(for: handler), logger: logger, initDuration: initDuration)
    }

    /// Serves invocations until `maxInvocations` were handled (forever when nil).
    ///
    /// Each result goes to the Runtime API together with the request for the next invocation (pipelined, see
    /// ``RuntimeAPIClient/respondThenNext(requestID:body:)``), except after the last one or when the client does
    /// not pipeline.
    /// Handler errors are reported to `/error` and the loop goes on; it throws only when the Runtime API
    /// itself fails, after which a function process should exit.
    public func run(maxInvocations: Int? = nil) async throws(FunctionRuntimeError) {
        guard maxInvocations.map({ $0 > 0 }) ?? true else { return }
        var invocation = try client.next()
        var served = 0
        while true {
            served += 1
            let more = maxInvocations.map { served < $0 } ?? true
            if let next = try await serve(invocation, isFirst: served == 1, thenNext: more && client.pipelines) {
                invocation = next
                continue
            }
            guard more else { return }
            invocation = try client.next()
        }
    }

    /// Runs one invocation and reports its outcome; with `thenNext`, returns the next invocation (asked for in
    /// the same write as the report).
    private func serve(
        _ invocation: Invocation, isFirst: Bool, thenNext: Bool
    ) async throws(FunctionRuntimeError) -> Invocation? {
        let context = FunctionContext(
            requestID: invocation.requestID, deadlineMilliseconds: invocation.deadlineMilliseconds,
            invokedFunctionARN: invocation.invokedFunctionARN, traceID: invocation.traceID, logger: logger)
        if isFirst, let initDuration {
            context.logger.info("cold start", metadata: ["initDurationMs": "\(Self.milliseconds(initDuration))"])
        }
        let clock = ContinuousClock()
        let started = clock.now
        let output: InvocationOutput
        do {
            output = try await adapter.invoke(invocation.body, context: context)
        } catch {
            let (errorType, message) = Self.describe(error)
            context.logger.error("invocation failed", metadata: ["errorType": "\(errorType)", "error": "\(message)"])
            let id = invocation.requestID
            guard thenNext else {
                try client.reportError(requestID: id, errorType: errorType, errorMessage: message)
                return nil
            }
            return try client.reportErrorThenNext(requestID: id, errorType: errorType, errorMessage: message)
        }
        // Logged before the report: with the next request in the same write, the report returns with the next
        // invocation.
        context.logger.debug("invocation done", metadata: ["durationMs": "\(Self.milliseconds(clock.now - started))"])
        guard thenNext else {
            try client.respond(requestID: invocation.requestID, body: output.body)
            return nil
        }
        return try client.respondThenNext(requestID: invocation.requestID, body: output.body)
    }

    /// The `errorType` and `errorMessage` reported for a handler error.
    static func describe(_ error: any Error) -> (errorType: String, message: String) {
        if let runtimeError = error as? FunctionRuntimeError {
            return (
                "Runtime.\(runtimeError.code.rawValue.prefix(1).uppercased())\(runtimeError.code.rawValue.dropFirst())",
                runtimeError.message
            )
        }
        return ("Function.\(String(describing: type(of: error)))", String(describing: error))
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        return "\(micros / 1000).\(String(repeating: "0", count: 3 - String(micros % 1000).count))\(micros % 1000)"
    }
}
