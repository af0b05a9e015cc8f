import Logging

/// A function run on a schedule: an Amazon EventBridge rule (a SAM `Schedule` event, `rate(...)` or `cron(...)`)
/// invokes it asynchronously with a ``ScheduledEvent`` (Event = ``ScheduledEvent``, Output = ``NoOutput``).
///
/// Throwing reports the error to the Runtime API's `/error` route: Lambda retries an asynchronous invocation
/// (twice by default) and evcsm-local logs it. A run should do a bounded amount of work, so that the next one
/// picks up what is left.
public protocol ScheduledFunction: FunctionHandler where Event == ScheduledEvent, Output == NoOutput {}

/// The adapter for ``ScheduledFunction``s: decodes the ``ScheduledEvent`` (one a minute: `JSONDecoder` is fine), gives
/// the handler a logger with the rule and the scheduled time as metadata, and encodes `null`.
public struct ScheduledFunctionAdapter<Handler: ScheduledFunction>: InvocationAdapter {
    public let handler: Handler

    public init(_ handler: Handler) { self.handler = handler }

    public func invoke(_ event: [UInt8], context: FunctionContext) async throws -> InvocationOutput {
        let scheduled = try decodeEvent(ScheduledEvent.self, from: event)
        var logger = context.logger
        logger[metadataKey: "rule"] = "\(scheduled.ruleARN ?? "-")"
        logger[metadataKey: "scheduledTime"] = "\(scheduled.time)"
        if scheduled.detailType != ScheduledEvent.scheduledDetailType {
            logger.warning("not a scheduled event", metadata: ["detailType": "\(scheduled.detailType)"])
        }
        let scoped = FunctionContext(
            requestID: context.requestID, deadlineMilliseconds: context.deadlineMilliseconds,
            invokedFunctionARN: context.invokedFunctionARN, traceID: context.traceID, logger: logger)
        let output = try await handler.handle(scheduled, context: scoped)
        return InvocationOutput(body: try encodeOutput(output))
    }
}

/// The adapter a scheduled function runs with (see ``makeInvocationAdapter(for:)``).
public func makeScheduledAdapter<Handler: ScheduledFunction>(_ handler: Handler) -> any InvocationAdapter {
    ScheduledFunctionAdapter(handler)
}
