import Foundation
import FunctionRuntime
import Logging
import Synchronization
import TestSupport
import Testing

/// Records the events it gets; throws when told to.
private struct RecordingScheduledFunction: ScheduledFunction {
    final class Box: Sendable {
        let events = Mutex<[ScheduledEvent]>([])
    }
    let box = Box()
    let fails: Bool

    init(fails: Bool = false) { self.fails = fails }

    func handle(_ event: ScheduledEvent, context: FunctionContext) async throws -> NoOutput {
        box.events.withLock { $0.append(event) }
        context.logger.info("ran")
        if fails { throw FunctionRuntimeError(.transport, "store unreachable") }
        return NoOutput()
    }
}

/// Fails one message of every batch.
private struct HalfFailingQueueFunction: QueueFunction {
    func handle(_ event: SQSEvent, context: FunctionContext) async throws -> SQSBatchResponse {
        SQSBatchResponse(failedMessageIDs: event.records.prefix(1).map(\.messageId))
    }
}

@Suite("Scheduled events and the scheduled-function adapter")
struct ScheduledFunctionTests {
    static let rule = "arn:aws:events:eu-central-1:123456789012:rule/evcsm-ExpireSessionsEvery-1A2B3C4D5E6F"

    @Test("the EventBridge fixture decodes with every field")
    func readsTheFixture() throws {
        let bytes = try fixture("events/eventbridge-scheduled.json")
        let direct = try JSONCoding.decoder.decode(ScheduledEvent.self, from: Data(bytes))
        #expect(direct.id == "89d1a02d-5ec7-412e-82f5-13505f849b41")
        #expect(direct.detailType == "Scheduled Event")
        #expect(direct.source == "aws.events")
        #expect(direct.account == "123456789012")
        #expect(direct.region == "eu-central-1")
        #expect(direct.ruleARN == Self.rule)
        #expect(direct.timeMilliseconds == 1_796_120_100_000)
    }

    @Test("encoding gives EventBridge's shape, with detail {}, and reads back")
    func roundTrips() throws {
        let event = ScheduledEvent(
            id: "e-1", account: "000000000000", time: "2026-12-01T10:15:00Z", region: "us-east-1",
            resources: ["arn:aws:events:us-east-1:000000000000:rule/r"])
        let bytes = Array(try JSONCoding.encoder.encode(event))
        let object = try #require(jsonObject(bytes))
        #expect(object["detail-type"] as? String == "Scheduled Event")
        #expect(object["source"] as? String == "aws.events")
        #expect(object["version"] as? String == "0")
        #expect((object["detail"] as? [String: Any])?.isEmpty == true)
        #expect(try JSONCoding.decoder.decode(ScheduledEvent.self, from: Data(bytes)) == event)
    }

    @Test("an event without id or time is an invalidEvent error and the handler does not run")
    func missingFields() async throws {
        let bytes = Array(#"{"version":"0","detail-type":"Scheduled Event","time":"2026-12-01T10:15:00Z"}"#.utf8)
        let function = RecordingScheduledFunction()
        await #expect(throws: FunctionRuntimeError.self) {
            _ = try await ScheduledFunctionAdapter(function).invoke(bytes, context: .local())
        }
        #expect(function.box.events.withLock { $0.isEmpty })
    }

    @Test("the adapter runs the handler with rule metadata and answers null")
    func adapterRuns() async throws {
        let capture = LogCapture()
        let function = RecordingScheduledFunction()
        let output = try await ScheduledFunctionAdapter(function).invoke(
            try fixture("events/eventbridge-scheduled.json"),
            context: .local(requestID: "sched-1", logger: capture.logger()))
        #expect(String(decoding: output.body, as: UTF8.self) == "null")
        #expect(!output.isServerError)
        #expect(function.box.events.withLock { $0.map(\.id) } == ["89d1a02d-5ec7-412e-82f5-13505f849b41"])
        #expect(capture.text.contains("sched-1"))
        #expect(capture.text.contains(Self.rule))
    }

    @Test("a handler error propagates (reported to /error, so Lambda retries)")
    func errorsPropagate() async throws {
        let api = FakeRuntimeAPI([
            .init(
                requestID: "sched-err",
                body: String(decoding: try fixture("events/eventbridge-scheduled.json"), as: UTF8.self))
        ])
        try await StubHTTPServer.withServer(api.handler) { server in
            let loop = FunctionRuntimeLoop(
                client: RuntimeAPIClient(endpoint: server.hostAndPort),
                handler: RecordingScheduledFunction(fails: true),
                logger: Logger(label: "t"))
            try await loop.run(maxInvocations: 1)
            let post = try #require(server.requests.last)
            #expect(post.path == "/2018-06-01/runtime/invocation/sched-err/error")
        }
    }

    @Test("makeInvocationAdapter picks the adapter by protocol: scheduled and queue functions get their own")
    func adapterByProtocol() async throws {
        #expect(
            makeInvocationAdapter(for: RecordingScheduledFunction())
                is ScheduledFunctionAdapter<RecordingScheduledFunction>)
        let queue = makeInvocationAdapter(for: HalfFailingQueueFunction())
        #expect(queue is QueueFunctionAdapter<HalfFailingQueueFunction>)
        // Only the queue adapter counts a partly failed batch as a failure (the plain JSON adapter would not).
        let output = try await queue.invoke(try fixture("sqs/meter-batch.json"), context: .local())
        #expect(output.isServerError)
        let response = try JSONDecoder().decode(SQSBatchResponse.self, from: Data(output.body))
        #expect(response.batchItemFailures.count == 1)
    }
}
