import Foundation
import FunctionRuntime
import Synchronization
import Testing

@testable import LocalRunner

/// A Lambda service stand-in: records every SQS batch and answers what `answer` says.
final class FakeQueueInvoker: FunctionInvoker, FunctionConcurrencyLimits {
    struct State {
        var batches: [SQSEvent] = []
        var running = 0
        var mostRunning = 0
    }

    let concurrency: Int
    let answer: @Sendable (SQSEvent, Int) async -> InvocationOutcome
    let state = Mutex(State())

    /// `answer` gets the batch and its invocation number (0 first).
    init(
        concurrency: Int = 1,
        answer: @escaping @Sendable (SQSEvent, Int) async -> InvocationOutcome = { _, _ in .success(Array("null".utf8))
        }
    ) {
        self.concurrency = concurrency
        self.answer = answer
    }

    func concurrencyLimit(of function: String) -> Int? { concurrency }

    func invoke(function: String, payload: [UInt8], requestID: String) async -> InvocationOutcome {
        guard let event = try? JSONDecoder().decode(SQSEvent.self, from: Data(payload)) else {
            return .functionError(Array(#"{"errorMessage":"not an SQS event"}"#.utf8))
        }
        let number = state.withLock { s in
            s.batches.append(event)
            s.running += 1
            s.mostRunning = max(s.mostRunning, s.running)
            return s.batches.count - 1
        }
        let outcome = await answer(event, number)
        state.withLock { $0.running -= 1 }
        return outcome
    }

    var batches: [SQSEvent] { state.withLock { $0.batches } }
    var records: [SQSMessage] { batches.flatMap(\.records) }
}

/// A one-shot flag tests wait on.
final class Gate: Sendable {
    let opened = Mutex(false)
    func open() { opened.withLock { $0 = true } }
    func wait() async {
        while !opened.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
    }
}

@Suite("IoT rule → SQS → event source mapping (QueueBridge)")
struct QueueBridgeTests {
    static func template(
        batchSize: Int = 100, window: Int = 1, visibility: Int = 3, maxReceiveCount: Int? = 3, report: Bool = true,
        maximumConcurrency: Int? = nil
    ) throws -> TemplateModel {
        let redrive =
            maxReceiveCount.map {
                "\n      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: \($0)}"
            } ?? ""
        let scaling = maximumConcurrency.map { ", ScalingConfig: {MaximumConcurrency: \($0)}" } ?? ""
        return try TemplateLoader().parse(
            yaml: """
                Resources:
                  Readings:
                    Type: AWS::SQS::Queue
                    Properties:
                      VisibilityTimeout: \(visibility)\(redrive)
                  Dead:
                    Type: AWS::SQS::Queue
                  Rule:
                    Type: AWS::IoT::TopicRule
                    Properties:
                      TopicRulePayload:
                        Sql: "SELECT encode(*, 'base64') AS data, topic() AS topic, timestamp() AS ts FROM 'meters/+'"
                        Actions: [{Sqs: {QueueUrl: !Ref Readings, RoleArn: !GetAtt Role.Arn}}]
                        ErrorAction: {Sqs: {QueueUrl: !Ref Dead, RoleArn: !GetAtt Role.Arn}}
                  Reader:
                    Type: AWS::Serverless::Function
                    Properties:
                      Timeout: 1
                      Events:
                        Batches:
                          Type: SQS
                          Properties: {Queue: !GetAtt Readings.Arn, BatchSize: \(batchSize), MaximumBatchingWindowInSeconds: \(window)\(report ? ", FunctionResponseTypes: [ReportBatchItemFailures]" : "")\(scaling)}
                """)
    }

    struct World {
        let bridge: TopicBridge
        let invoker: FakeQueueInvoker
        let deadLetters: DeadLetterFile
        let metrics: RunnerMetrics

        init(_ template: TemplateModel, _ invoker: FakeQueueInvoker) throws {
            self.invoker = invoker
            deadLetters = DeadLetterFile(path: "\(try TestEnvironment.temporaryDirectory())/dead-letters.jsonl")
            metrics = RunnerMetrics()
            bridge = TopicBridge(
                template: template, invoker: invoker, deadLetters: deadLetters, metrics: metrics,
                logger: .init(label: "test"))
        }

        func publish(point: Int, seq: Int) {
            let payload = #"{"sessionId":"s-\#(point)","energyWh":\#(seq * 100),"seq":\#(seq)}"#
            bridge.accept(
                MQTTMessage(topic: "meters/cp-\(point)", payload: Array(payload.utf8), receivedAt: 1000 + Int64(seq)))
        }

        var deadLetterLines: [String] {
            ((try? String(contentsOfFile: deadLetters.path, encoding: .utf8)) ?? "").split(separator: "\n").map(
                String.init)
        }
    }

    /// The reading inside a record (body → IoT rule event → payload).
    static func reading(_ record: SQSMessage) throws -> (point: String, seq: Int) {
        let event = try JSONDecoder().decode(TopicMessage.self, from: Data(record.body.utf8))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(event.payload)) as? [String: Any])
        return (String(event.topic.dropFirst("meters/".count)), try #require(object["seq"] as? Int))
    }

    @Test("MD5 of the RFC 1321 test suite, and the md5OfBody of the SQS fixture")
    func md5() throws {
        #expect(MD5.hex(Array("".utf8)) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(MD5.hex(Array("message digest".utf8)) == "f96b697d7cb7938d525a2f31aaf161d0")
        #expect(
            MD5.hex(Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8))
                == "57edf4a22be3c955ac49da2e2107b67a")
        let data = try Data(
            contentsOf: URL(fileURLWithPath: "\(TestEnvironment.root)/Tests/Fixtures/sqs/meter-batch.json"))
        let fixture = try JSONDecoder().decode(SQSEvent.self, from: data)
        for record in fixture.records { #expect(MD5.hex(record.body.utf8) == record.md5OfBody) }
    }

    @Test("500 readings over 10 points: batches of at most BatchSize, each reading once, arrival order kept")
    func batches() async throws {
        let gate = Gate()
        let invoker = FakeQueueInvoker { _, number in
            if number == 0 { await gate.wait() }
            return .success(Array(#"{"batchItemFailures":[]}"#.utf8))
        }
        let world = try World(Self.template(), invoker)
        for seq in 1...50 { for point in 0..<10 { world.publish(point: point, seq: seq) } }
        gate.open()
        try await eventually("all 500 readings delivered") { invoker.records.count >= 500 }
        await world.bridge.drain()
        let batches = invoker.batches
        #expect(invoker.records.count == 500)
        #expect(Set(invoker.records.map(\.messageId)).count == 500)
        #expect(batches.allSatisfy { $0.records.count <= 100 })
        // The first batch went out alone (one batch in flight); everything after it came in full batches.
        #expect(batches.count <= 6, "\(batches.map(\.records.count))")
        var lastSeq: [String: Int] = [:]
        for record in invoker.records {
            let (point, seq) = try Self.reading(record)
            #expect(seq > lastSeq[point, default: 0], "\(point) seq \(seq) after \(lastSeq[point, default: 0])")
            lastSeq[point] = seq
        }
        #expect(lastSeq.count == 10 && lastSeq.values.allSatisfy { $0 == 50 })
        #expect(world.deadLetterLines.isEmpty)
        #expect(invoker.state.withLock { $0.mostRunning } == 1)
    }

    @Test("the event is an SQS event as AWS sends it, carrying the rule's {data, topic, ts}")
    func eventShape() async throws {
        let invoker = FakeQueueInvoker()
        let world = try World(Self.template(batchSize: 10, window: 0), invoker)
        world.publish(point: 3, seq: 7)
        try await eventually("one batch") { invoker.records.count == 1 }
        let record = try #require(invoker.records.first)
        #expect(record.eventSource == "aws:sqs")
        #expect(record.eventSourceARN == "arn:aws:sqs:us-east-1:000000000000:Readings")
        #expect(record.awsRegion == "us-east-1")
        #expect(record.receiveCount == 1)
        #expect(record.sentTimestamp != nil)
        #expect(record.attributes["ApproximateFirstReceiveTimestamp"] != nil)
        #expect(record.md5OfBody == MD5.hex(record.body.utf8))
        #expect(!record.receiptHandle.isEmpty)
        let event = try JSONDecoder().decode(TopicMessage.self, from: Data(record.body.utf8))
        #expect(event.topic == "meters/cp-3")
        #expect(event.timestamp == 1007)
        #expect(String(decoding: event.payload, as: UTF8.self).contains(#""seq":7"#))
        await world.bridge.drain()
    }

    @Test("several batches in flight at once, up to the function's concurrency")
    func concurrentBatches() async throws {
        let both = Gate()
        let blocking = FakeQueueInvoker(concurrency: 2) { _, number in
            if number == 1 { both.open() }
            await both.wait()
            return .success(Array("null".utf8))
        }
        let world = try World(Self.template(batchSize: 10, window: 0), blocking)
        for seq in 1...30 { world.publish(point: 0, seq: seq) }
        try await eventually("all delivered with two batches in flight together") { blocking.records.count == 30 }
        #expect(blocking.state.withLock { $0.mostRunning } == 2)
        await world.bridge.drain()
    }

    @Test("messages listed in batchItemFailures come back after the visibility timeout; the rest do not")
    func partialFailures() async throws {
        let invoker = FakeQueueInvoker { event, _ in
            let first = try! event.records.filter { try $0.receiveCount == 1 && [2, 4].contains(Self.reading($0).seq) }
                .map(\.messageId)
            return .success(Array(try! JSONEncoder().encode(SQSBatchResponse(failedMessageIDs: Array(first)))))
        }
        let world = try World(Self.template(batchSize: 10, window: 0, visibility: 1), invoker)
        for seq in 1...5 { world.publish(point: 1, seq: seq) }
        try await eventually("the two failed messages are received a second time") {
            invoker.records.filter { $0.receiveCount == 2 }.count == 2
        }
        await world.bridge.drain()
        let records = invoker.records
        #expect(Set(records.map(\.messageId)).count == 5)
        #expect(records.filter { $0.receiveCount == 1 }.count == 5)
        #expect(records.filter { $0.receiveCount == 2 }.count == 2)
        #expect(world.deadLetterLines.isEmpty)
        #expect(world.metrics.prometheusText().contains(#"evcsm_iot_retries_total{function="Reader"} 2"#))
    }

    @Test("a function that keeps failing: every message is received maxReceiveCount times, then dead-lettered")
    func deadLetters() async throws {
        let invoker = FakeQueueInvoker { _, _ in .functionError(Array(#"{"errorMessage":"always fails"}"#.utf8)) }
        let world = try World(Self.template(batchSize: 10, window: 0, visibility: 1, maxReceiveCount: 2), invoker)
        world.publish(point: 2, seq: 1)
        world.publish(point: 2, seq: 2)
        try await eventually("two dead letters") { world.deadLetterLines.count == 2 }
        await world.bridge.drain()
        #expect(invoker.records.count == 4)
        let line = try #require(world.deadLetterLines.first)
        #expect(line.contains(#""attempts":2"#))
        #expect(line.contains(#""queue":"Readings""#))
        #expect(line.contains(#""function":"Reader""#))
        #expect(line.contains("always fails"))
        #expect(line.contains(#""topic":"meters/cp-2""#))
        #expect(world.metrics.prometheusText().contains(#"evcsm_iot_dead_letters_total{function="Reader"} 2"#))
    }

    @Test("an answer naming an unknown message, or not a batch response, fails the whole batch")
    func invalidAnswers() async throws {
        let invoker = FakeQueueInvoker { event, number in
            if number == 0 { return .success(Array(#"{"batchItemFailures":[{"itemIdentifier":"nope"}]}"#.utf8)) }
            if number == 1 { return .success(Array(#"{"batchItemFailures":[{"itemIdentifier":null}]}"#.utf8)) }
            return .success(Array(#"{"batchItemFailures":[]}"#.utf8))
        }
        let world = try World(Self.template(batchSize: 10, window: 0, visibility: 1), invoker)
        world.publish(point: 1, seq: 1)
        try await eventually("the message is received three times") { invoker.records.count == 3 }
        await world.bridge.drain()
        #expect(invoker.records.map(\.receiveCount) == [1, 2, 3])
        #expect(world.deadLetterLines.isEmpty)
    }

    @Test("without ReportBatchItemFailures the answer is ignored: a successful invocation deletes the batch")
    func noReporting() async throws {
        let invoker = FakeQueueInvoker { event, _ in
            .success(
                Array(try! JSONEncoder().encode(SQSBatchResponse(failedMessageIDs: event.records.map(\.messageId)))))
        }
        let world = try World(Self.template(batchSize: 10, window: 0, visibility: 1, report: false), invoker)
        world.publish(point: 1, seq: 1)
        try await eventually("one delivery") { invoker.records.count == 1 }
        await world.bridge.drain()
        #expect(invoker.records.count == 1)
    }

    @Test("drain delivers buffered messages at once, and dead-letters messages still waiting for a redelivery")
    func drain() async throws {
        let invoker = FakeQueueInvoker { event, _ in
            let failing = event.records.filter { $0.body.contains("cp-9") }.map(\.messageId)
            return .success(Array(try! JSONEncoder().encode(SQSBatchResponse(failedMessageIDs: failing))))
        }
        let world = try World(Self.template(window: 300, visibility: 600), invoker)
        world.publish(point: 1, seq: 1)
        world.publish(point: 9, seq: 1)
        await world.bridge.drain()
        #expect(invoker.records.count == 2)
        #expect(world.deadLetterLines.count == 1)
        #expect(world.deadLetterLines.first?.contains("stopped before the redelivery") == true)
    }
}
