import Foundation
import FunctionRuntime
import Logging
import Synchronization

/// An SQS standard queue and the Lambda event source mapping that reads it, in memory: what an IoT rule's SQS
/// action sends is buffered and handed to the function in batches of up to `BatchSize`, once the batch is full
/// or `MaximumBatchingWindowInSeconds` after its first message, with several batches in flight (up to
/// `ScalingConfig.MaximumConcurrency`, else the function's concurrency).
///
/// Failed messages (listed in `batchItemFailures`, or the whole batch when the invocation failed or its answer
/// was not a valid partial batch response) come back when the queue's visibility timeout after their receive
/// has passed; after `maxReceiveCount` receives they go to the dead-letter file (the dead-letter queue).
/// The buffer lives in this process: see README "Meter ingest" for what a runner crash can lose.
final class QueueBridge: Sendable {
    struct Message: Sendable {
        var id: String
        var body: String
        var md5OfBody: String
        /// The MQTT message the rule turned into this one (for the dead-letter file).
        var source: MQTTMessage
        var sentAt: Int64
        var receiveCount = 0
        var firstReceivedAt: Int64?
        var receivedAt = ContinuousClock.now
        /// When it became (or becomes) visible.
        var visibleAt: ContinuousClock.Instant
        var expiresAt: ContinuousClock.Instant
    }

    struct State {
        /// Visible messages, oldest first.
        var ready = MessageFIFO()
        /// Messages hidden until `visibleAt` (delivery delay, or a failed receive's visibility timeout).
        var hidden: [Message] = []
        var inFlight = 0
        var closed = false
    }

    /// What the poller does next.
    enum Step {
        case invoke([Message])
        case wait(until: ContinuousClock.Instant?)
        case finish
    }

    let queue: QueueDefinition
    let source: QueueEventSource
    let function: String
    let maxInFlight: Int
    let invoker: any FunctionInvoker
    let deadLetters: DeadLetterFile
    let metrics: RunnerMetrics
    let logger: Logger
    let state = Mutex(State())
    let bell: AsyncStream<Void>.Continuation
    let task = Mutex<Task<Void, Never>?>(nil)

    init(
        queue: QueueDefinition, source: QueueEventSource, function: String, invoker: any FunctionInvoker,
        deadLetters: DeadLetterFile, metrics: RunnerMetrics, logger: Logger
    ) {
        self.queue = queue
        self.source = source
        self.function = function
        self.invoker = invoker
        self.deadLetters = deadLetters
        self.metrics = metrics
        self.logger = logger
        let limit = (invoker as? any FunctionConcurrencyLimits)?.concurrencyLimit(of: function) ?? 1
        maxInFlight = max(1, min(source.maximumConcurrency ?? limit, limit))
        let (stream, bell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.bell = bell
        task.withLock { $0 = Task { [self] in await run(stream) } }
    }

    /// Sends a message to the queue (SQS `SendMessage`); non-blocking.
    func send(body: String, source: MQTTMessage) {
        let now = ContinuousClock.now
        let message = Message(
            id: UUID().uuidString.lowercased(), body: body, md5OfBody: MD5.hex(body.utf8), source: source,
            sentAt: Self.epochMilliseconds(), visibleAt: now + .seconds(queue.delaySeconds),
            expiresAt: now + .seconds(queue.messageRetentionPeriod))
        let accepted = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            if queue.delaySeconds > 0 { s.hidden.append(message) } else { s.ready.append(message) }
            return true
        }
        if accepted {
            bell.yield()
        } else {
            deadLetter(message, error: "evcsm-local was stopping when the message arrived")
        }
    }

    /// Stops taking messages, delivers the buffered ones at once (no batching window) and waits for every batch in
    /// flight. Messages still waiting for a redelivery go to the dead-letter file: nothing taken is dropped silently.
    func drain() async {
        state.withLock { $0.closed = true }
        bell.yield()
        await task.withLock { $0 }?.value
    }

    func run(_ bells: AsyncStream<Void>) async {
        var iterator = bells.makeAsyncIterator()
        await withDiscardingTaskGroup { group in
            while true {
                switch nextStep(now: .now) {
                case .invoke(let batch):
                    group.addTask { [self] in await deliver(batch) }
                case .wait(let deadline):
                    let timer = deadline.map { deadline in
                        Task { [bell] in
                            try? await Task.sleep(until: deadline)
                            bell.yield()
                        }
                    }
                    _ = await iterator.next()
                    timer?.cancel()
                case .finish:
                    let left = state.withLock { s in
                        defer { s.hidden = [] }
                        return s.hidden
                    }
                    for message in left { deadLetter(message, error: "evcsm-local stopped before the redelivery") }
                    return
                }
            }
        }
    }

    /// Decides under the lock: take a batch, or wait for a message, a free slot or a deadline.
    func nextStep(now: ContinuousClock.Instant) -> Step {
        let (step, expired) = state.withLock { s -> (Step, [Message]) in
            if !s.hidden.isEmpty {
                let due = s.hidden.filter { $0.visibleAt <= now }
                s.hidden.removeAll { $0.visibleAt <= now }
                for var message in due {
                    message.visibleAt = now
                    s.ready.append(message)
                }
            }
            // Expiry is checked as messages are taken (a message is only ever delivered from the front).
            var expired: [Message] = []
            while let first = s.ready.first, first.expiresAt <= now { expired.append(s.ready.take(1)[0]) }
            let nextVisible = s.hidden.lazy.map(\.visibleAt).min()
            guard s.inFlight < maxInFlight, let oldest = s.ready.first else {
                let done = s.closed && s.ready.isEmpty && s.inFlight == 0
                return (done ? .finish : .wait(until: s.inFlight < maxInFlight ? nextVisible : nil), expired)
            }
            let windowEnds = oldest.visibleAt + .seconds(source.maximumBatchingWindowInSeconds)
            guard s.closed || s.ready.count >= source.batchSize || windowEnds <= now else {
                return (.wait(until: min(windowEnds, nextVisible ?? windowEnds)), expired)
            }
            var batch = s.ready.take(source.batchSize)
            let received = Self.epochMilliseconds()
            for index in batch.indices {
                batch[index].receiveCount += 1
                batch[index].firstReceivedAt = batch[index].firstReceivedAt ?? received
                batch[index].receivedAt = now
            }
            s.inFlight += 1
            return (.invoke(batch), expired)
        }
        for message in expired { deadLetter(message, error: "the queue's MessageRetentionPeriod passed") }
        return step
    }

    /// One invocation with one batch; then the failed messages are hidden for the visibility timeout or
    /// dead-lettered.
    func deliver(_ batch: [Message]) async {
        let requestID = UUID().uuidString.lowercased()
        let outcome = await invoker.invoke(function: function, payload: event(for: batch), requestID: requestID)
        let (failed, reason) = failures(of: outcome, batch: batch)
        if !failed.isEmpty {
            logger.warning(
                "\(function): \(failed.count) of \(batch.count) messages from \(queue.logicalId) failed: \(reason)",
                metadata: ["requestID": "\(requestID)"])
        }
        var retries: [Message] = []
        for var message in batch where failed.contains(message.id) {
            if let limit = queue.maxReceiveCount, message.receiveCount >= limit {
                deadLetter(message, error: reason)
                continue
            }
            metrics.recordRetry(function: function)
            message.visibleAt = message.receivedAt + .seconds(queue.visibilityTimeout)
            retries.append(message)
        }
        state.withLock { s in
            s.hidden += retries
            s.inFlight -= 1
        }
        bell.yield()
    }

    /// The ids of the messages to retry and why. Lambda deletes every message of a successful invocation unless
    /// the mapping reports batch item failures and the function listed some; an answer naming an empty or unknown
    /// id, or one that is not a partial batch response, fails the whole batch, as does a failed invocation.
    func failures(of outcome: InvocationOutcome, batch: [Message]) -> (Set<String>, String) {
        let all = Set(batch.map(\.id))
        switch outcome {
        case .success(let body):
            guard source.reportBatchItemFailures else { return ([], "") }
            guard let response = try? RunnerJSON.decoder.decode(SQSBatchResponse.self, from: Data(body)) else {
                return (
                    all,
                    "the answer is not a partial batch response: \(String(decoding: body.prefix(200), as: UTF8.self))"
                )
            }
            let named = Set(response.batchItemFailures.map(\.itemIdentifier))
            guard named.isSubset(of: all) else {
                return (
                    all, "batchItemFailures names ids that are not in the batch: \(named.subtracting(all).sorted())"
                )
            }
            return (named, "listed in batchItemFailures")
        case .functionError(let body): return (all, WorkerProcess.errorMessage(body))
        case .unavailable(let reason): return (all, reason)
        default: return (all, outcome.label)
        }
    }

    /// The SQS event of a batch, as an event source mapping sends it.
    func event(for batch: [Message]) -> [UInt8] {
        let arn = "arn:aws:sqs:\(Self.region):\(Self.account):\(queue.logicalId)"
        let records = batch.map { message in
            SQSMessage(
                messageId: message.id,
                receiptHandle: "AQEB" + Data("\(message.id)#\(message.receiveCount)".utf8).base64EncodedString(),
                body: message.body,
                attributes: [
                    "ApproximateReceiveCount": "\(message.receiveCount)", "SentTimestamp": "\(message.sentAt)",
                    "SenderId": "AROAEVCSMLOCAL0IOTRULE:evcsm-local",
                    "ApproximateFirstReceiveTimestamp": "\(message.firstReceivedAt ?? message.sentAt)",
                ],
                md5OfBody: message.md5OfBody, eventSource: "aws:sqs", eventSourceARN: arn, awsRegion: Self.region)
        }
        return (try? RunnerJSON.encoder.encode(SQSEvent(records: records))).map { [UInt8]($0) } ?? []
    }

    func deadLetter(_ message: Message, error: String) {
        metrics.recordDeadLetter(function: function)
        do {
            try deadLetters.write(
                function: function, message: message.source, attempts: message.receiveCount, error: error,
                queue: queue.logicalId, messageId: message.id)
            logger.error(
                "\(function): message on \(message.source.topic) from \(queue.logicalId) written to \(deadLetters.path) after \(message.receiveCount) receives: \(error)",
                metadata: ["messageId": "\(message.id)"])
        } catch {
            logger.error("\(function): message \(message.id) on \(message.source.topic) lost: \(error.message)")
        }
    }

    static let region = TemplateLoader.pseudoParameters["AWS::Region"] ?? "us-east-1"
    static let account = TemplateLoader.pseudoParameters["AWS::AccountId"] ?? "000000000000"

    static func epochMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}

/// A FIFO of messages that takes from the front without shifting the rest (a burst can buffer many thousands).
struct MessageFIFO {
    private var storage: [QueueBridge.Message] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }
    var first: QueueBridge.Message? { isEmpty ? nil : storage[head] }

    mutating func append(_ message: QueueBridge.Message) { storage.append(message) }

    /// Removes and returns up to `limit` messages from the front.
    mutating func take(_ limit: Int) -> [QueueBridge.Message] {
        let end = min(storage.count, head + limit)
        let taken = Array(storage[head..<end])
        head = end
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return taken
    }
}

/// How many invocations of a function can run at once (the Lambda service's workers per function); a queue's
/// event source mapping keeps at most that many batches in flight.
protocol FunctionConcurrencyLimits: Sendable {
    func concurrencyLimit(of function: String) -> Int?
}

extension LambdaService: FunctionConcurrencyLimits {
    func concurrencyLimit(of function: String) -> Int? { queues[function]?.concurrency }
}
