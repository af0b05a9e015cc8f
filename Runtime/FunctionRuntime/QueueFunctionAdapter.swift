import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The adapter for ``QueueFunction``s: decodes the ``SQSEvent``, runs the handler and encodes its
/// ``SQSBatchResponse``.
///
/// A response that names a message id that is not in the batch (or an empty one) would make Lambda retry
/// the whole batch; the adapter logs that as an error so the mistake is visible. A batch with failures counts
/// as a failure for the `--event` command line (exit status 1), and is logged with the number of messages.
public struct QueueFunctionAdapter<Handler: QueueFunction>: InvocationAdapter {
    public let handler: Handler

    public init(_ handler: Handler) { self.handler = handler }

    public func invoke(_ event: [UInt8], context: FunctionContext) async throws -> InvocationOutput {
        let batch = try decodeEvent(SQSEvent.self, from: event)
        let response = try await handler.handle(batch, context: context)
        let failures = response.batchItemFailures.map(\.itemIdentifier)
        if !failures.isEmpty {
            let known = Set(batch.records.map(\.messageId))
            let unknown = failures.filter { !known.contains($0) }
            if !unknown.isEmpty {
                context.logger.error(
                    "batch response names messages that are not in the batch: the whole batch will be retried",
                    metadata: ["unknown": "\(unknown)"])
            }
            context.logger.warning(
                "batch partly failed", metadata: ["failed": "\(failures.count)", "messages": "\(batch.records.count)"])
        }
        return InvocationOutput(body: try encodeOutput(response), isServerError: !failures.isEmpty)
    }
}

/// The adapter a queue function runs with (see ``makeInvocationAdapter(for:)``).
public func makeQueueAdapter<Handler: QueueFunction>(_ handler: Handler) -> any InvocationAdapter {
    QueueFunctionAdapter(handler)
}
