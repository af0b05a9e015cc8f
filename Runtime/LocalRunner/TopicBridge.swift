import Foundation
import Logging
import Synchronization

/// AWS IoT rules: subscribes (QoS 1) to every IoT rule topic filter of the template. A rule with a Lambda action
/// (or an IoTRule event) invokes the function once per message — at least once, with the platform's two retries,
/// then a line in the dead-letter file; messages on one topic are delivered in order, topics run in parallel.
/// A rule with an SQS action sends the SELECT result to the queue's ``QueueBridge``, which invokes the function
/// that reads the queue with batches.
///
/// libmosquitto acknowledges a QoS 1 PUBLISH as soon as it has received it (it has no manual acknowledgement
/// before 2.1), so from then on a message lives in this process: in a lane, a queue's buffer or an invocation.
public final class TopicBridge: Sendable {
    /// A function and one of its IoT rules.
    public struct Rule: Sendable {
        public var function: String
        public var rule: TopicRule
    }

    public let rules: [Rule]
    let invoker: any FunctionInvoker
    let deadLetters: DeadLetterFile
    let metrics: RunnerMetrics
    let logger: Logger
    let retryDelays: [Duration]
    let lanes = Mutex<[String: AsyncStream<MQTTMessage>.Continuation]>([:])
    let laneTasks = Mutex<[Task<Void, Never>]>([])
    let inFlight = Mutex(0)
    /// One per queue an SQS event reads, by queue logical id.
    let queues: [String: QueueBridge]

    public init(
        template: TemplateModel, invoker: any FunctionInvoker, deadLetters: DeadLetterFile, metrics: RunnerMetrics,
        logger: Logger, retryDelays: [Duration] = [.seconds(1), .seconds(2)]
    ) {
        rules = template.functions.flatMap { f in f.topicRules.map { Rule(function: f.logicalId, rule: $0) } }
        var queues: [String: QueueBridge] = [:]
        for function in template.functions {
            for source in function.queueSources {
                guard let queue = template.queue(named: source.queue) else { continue }
                queues[source.queue] = QueueBridge(
                    queue: queue, source: source, function: function.logicalId, invoker: invoker,
                    deadLetters: deadLetters, metrics: metrics, logger: logger)
            }
        }
        self.queues = queues
        self.invoker = invoker
        self.deadLetters = deadLetters
        self.metrics = metrics
        self.logger = logger
        self.retryDelays = retryDelays
    }

    /// Every topic filter the bridge subscribes to.
    public var filters: [String] {
        var seen: [String] = []
        for rule in rules where !seen.contains(rule.rule.filter) { seen.append(rule.rule.filter) }
        return seen
    }

    /// Hands a message received from the broker to the rules that match it (non-blocking).
    public func accept(_ message: MQTTMessage) {
        var direct = false
        for rule in rules where TopicFilter.matches(rule.rule.filter, topic: message.topic) {
            guard let queue = rule.rule.queue else {
                direct = true
                continue
            }
            metrics.recordMQTTIn(topic: rule.rule.filter)
            guard let event = Self.event(for: message, rule: rule.rule), let bridge = queues[queue] else {
                logger.warning(
                    "dropping message on \(message.topic) for \(queue): payload is not a JSON object",
                    metadata: ["topic": "\(message.topic)"])
                writeDeadLetter(function: rule.function, message: message, attempts: 0, error: "not JSON")
                continue
            }
            let body = rule.rule.base64Body ? Data(event).base64EncodedString() : String(decoding: event, as: UTF8.self)
            bridge.send(body: body, source: message)
        }
        guard direct else { return }
        let lane = lanes.withLock { lanes -> AsyncStream<MQTTMessage>.Continuation in
            if let existing = lanes[message.topic] { return existing }
            let (stream, continuation) = AsyncStream.makeStream(of: MQTTMessage.self)
            lanes[message.topic] = continuation
            let task = Task { [self] in
                for await message in stream { await deliver(message) }
            }
            laneTasks.withLock { $0.append(task) }
            return continuation
        }
        inFlight.withLock { $0 += 1 }
        lane.yield(message)
    }

    /// Stops taking messages and waits for those already taken to be delivered.
    public func drain() async {
        let continuations = lanes.withLock { lanes in
            defer { lanes = [:] }
            return Array(lanes.values)
        }
        for continuation in continuations { continuation.finish() }
        let tasks = laneTasks.withLock { $0 }
        await withTaskGroup(of: Void.self) { group in
            for queue in queues.values { group.addTask { await queue.drain() } }
            for task in tasks { group.addTask { await task.value } }
        }
    }

    func deliver(_ message: MQTTMessage) async {
        defer { inFlight.withLock { $0 -= 1 } }
        for rule in rules where rule.rule.queue == nil && TopicFilter.matches(rule.rule.filter, topic: message.topic) {
            metrics.recordMQTTIn(topic: rule.rule.filter)
            guard let payload = Self.event(for: message, rule: rule.rule) else {
                logger.warning(
                    "dropping message on \(message.topic) for \(rule.function): payload is not a JSON object",
                    metadata: ["topic": "\(message.topic)"])
                writeDeadLetter(function: rule.function, message: message, attempts: 0, error: "not JSON")
                continue
            }
            await invokeWithRetries(rule.function, message: message, payload: payload)
        }
    }

    func invokeWithRetries(_ function: String, message: MQTTMessage, payload: [UInt8]) async {
        var lastError = ""
        for attempt in 0...retryDelays.count {
            if attempt > 0 {
                metrics.recordRetry(function: function)
                try? await Task.sleep(for: retryDelays[attempt - 1])
            }
            let requestID = UUID().uuidString.lowercased()
            let outcome = await invoker.invoke(function: function, payload: payload, requestID: requestID)
            if case .success = outcome { return }
            if case .unavailable(let reason) = outcome {
                lastError = reason
            } else if case .functionError(let body) = outcome {
                lastError = WorkerProcess.errorMessage(body)
            } else {
                lastError = outcome.label
            }
            logger.warning(
                "\(function) failed on \(message.topic) (attempt \(attempt + 1) of \(retryDelays.count + 1)): \(lastError)",
                metadata: ["requestID": "\(requestID)"])
        }
        metrics.recordDeadLetter(function: function)
        if writeDeadLetter(function: function, message: message, attempts: retryDelays.count + 1, error: lastError) {
            logger.error("\(function): message on \(message.topic) written to \(deadLetters.path) after retries")
        }
    }

    /// Appends the dead letter; false (and an error logged) when the file could not be written.
    @discardableResult
    func writeDeadLetter(function: String, message: MQTTMessage, attempts: Int, error: String) -> Bool {
        do {
            try deadLetters.write(function: function, message: message, attempts: attempts, error: error)
            return true
        } catch {
            logger.error("\(function): message on \(message.topic) lost: \(error.message)")
            return false
        }
    }

    /// The event the rule's SELECT produces for a message; nil when `*` needs JSON and the payload isn't.
    public static func event(for message: MQTTMessage, rule: TopicRule) -> [UInt8]? {
        var object: [String: JSONValue] = [:]
        for item in rule.select {
            switch item {
            case .payload:
                guard case .object(let fields)? = JSONValue.parse(message.payload) else { return nil }
                object.merge(fields) { _, new in new }
            case .payloadBase64(let name): object[name] = .string(Data(message.payload).base64EncodedString())
            case .topic(let name): object[name] = .string(message.topic)
            case .timestamp(let name): object[name] = .integer(message.receivedAt)
            }
        }
        return JSONValue.object(object).serialized()
    }
}
