import ChargingCore
import ChargingCoreTesting
import ChargingWire
import Foundation
import FunctionRuntime
import Synchronization
import Testing

extension Fixture {
    /// An SQS event from `sqs/<name>.json`.
    static func batch(_ name: String) throws -> SQSEvent {
        try JSONCoding.decoder.decode(SQSEvent.self, from: bytes("sqs/\(name).json"))
    }

    /// One SQS message carrying an IoT rule event, as the `chargers/+/meter` rule's SQS action sends it.
    static func queueMessage(_ message: TopicMessage, id: String = UUID().uuidString.lowercased()) throws -> SQSMessage
    {
        SQSMessage(
            messageId: id, receiptHandle: "AQEB\(id)",
            body: String(decoding: try JSONCoding.encoder.encode(message), as: UTF8.self),
            attributes: ["ApproximateReceiveCount": "1", "SentTimestamp": "\(message.timestamp)"],
            eventSourceARN: "arn:aws:sqs:eu-central-1:123456789012:MeterReadingsQueue", awsRegion: "eu-central-1")
    }
}

extension Harness {
    /// Runs the meter handler on a batch of one message, as the queue delivers it; throws when the message is
    /// reported for retry (the batch counterpart of a thrown error).
    func deliver(_ handler: MeterValuesHandler, _ message: TopicMessage) async throws {
        let response = try await handler.handle(SQSEvent(records: [Fixture.queueMessage(message)]), context: .local())
        if !response.batchItemFailures.isEmpty { throw BatchFailure(response: response) }
    }

    /// Dependencies over another store (with this harness's publisher, clock, tariff and defaults).
    func dependencies(store: any SessionStore) -> FunctionDependencies {
        FunctionDependencies(
            store: store, publisher: publisher, tariff: tariff, clock: clock, defaults: defaults, metrics: metrics)
    }
}

struct BatchFailure: Error {
    let response: SQSBatchResponse
}

@Suite("MeterValues batches")
struct MeterBatchTests {
    static let other = "8d0e5b3c-2f4a-4c61-a7b9-5e1f0c2d3a48"

    func record(
        _ energyWh: Int64, seq: Int64, session: String = Harness.fixtureSessionID, point: String = "cp-1",
        id: String? = nil
    ) throws -> SQSMessage {
        let payload = #"{"sessionId":"\#(session)","energyWh":\#(energyWh),"seq":\#(seq)}"#
        let message = TopicMessage(
            topic: "chargers/\(point)/meter", payload: Array(payload.utf8), timestamp: Harness.start)
        return try Fixture.queueMessage(message, id: id ?? "m-\(session.prefix(4))-\(seq)-\(energyWh)")
    }

    @Test("the SQS batch fixture decodes, round-trips unchanged and carries IoT rule events")
    func fixtureRoundTrip() throws {
        let event = try Fixture.batch("meter-batch")
        #expect(event.records.count == 6)
        let first = try #require(event.records.first)
        #expect(first.eventSource == "aws:sqs")
        #expect(first.receiveCount == 1)
        #expect(first.sentTimestamp == 1_795_691_395_127)
        #expect(first.eventSourceARN.hasPrefix("arn:aws:sqs:eu-central-1:"))
        let encoded = try JSONCoding.encoder.encode(event)
        #expect(try JSONCoding.decoder.decode(SQSEvent.self, from: encoded) == event)
        let original = try JSONSerialization.jsonObject(with: Fixture.bytes("sqs/meter-batch.json")) as? NSDictionary
        #expect(try JSONSerialization.jsonObject(with: encoded) as? NSDictionary == original)
        let message = try JSONCoding.decoder.decode(TopicMessage.self, from: Data(first.body.utf8))
        #expect(message.topic == "chargers/cp-1/meter")

        let response = try JSONCoding.decoder.decode(
            SQSBatchResponse.self, from: Fixture.bytes("sqs/batch-response.json"))
        #expect(response.batchItemFailures == [.init(itemIdentifier: "d9a4b1e2-6c3f-4f0a-9b8e-7a5d2c1e0f34")])
        #expect(
            String(decoding: try JSONCoding.encoder.encode(SQSBatchResponse()), as: UTF8.self)
                == #"{"batchItemFailures":[]}"#)
        #expect(try JSONCoding.decoder.decode(SQSBatchResponse.self, from: Data("null".utf8)) == SQSBatchResponse())
        #expect(try JSONCoding.decoder.decode(SQSBatchResponse.self, from: Data("{}".utf8)) == SQSBatchResponse())
    }

    @Test("the fixture batch: per session in seq order, duplicates once, malformed dropped, one write and update each")
    func fixtureBatch() async throws {
        let harness = Harness([Harness.session(), Harness.session(Self.other, point: "cp-2")])
        let response = try await MeterValuesHandler(harness.dependencies)
            .handle(Fixture.batch("meter-batch"), context: .local())
        #expect(response.batchItemFailures.isEmpty)
        let first = try #require(await harness.store.session(id: Harness.fixtureSessionID))
        #expect(first.energyWh == 3000)
        #expect(first.lastMeterSeq == 3)
        let second = try #require(await harness.store.session(id: Self.other))
        #expect(second.energyWh == 800)
        #expect(second.lastMeterSeq == 2)
        #expect(await harness.store.writeCount == 2)
        let updates = try harness.updates
        #expect(updates.map(\.sessionId) == [Harness.fixtureSessionID, Self.other])
        #expect(updates.map(\.energyConsumed) == [3, 0.8])
    }

    @Test("through the runtime's adapter: event bytes in, {\"batchItemFailures\":[]} out")
    func adapter() async throws {
        let harness = Harness([Harness.session(), Harness.session(Self.other, point: "cp-2")])
        let output = try await QueueFunctionAdapter(MeterValuesHandler(harness.dependencies))
            .invoke(Array(Fixture.bytes("sqs/meter-batch.json")), context: .local())
        #expect(String(decoding: output.body, as: UTF8.self) == #"{"batchItemFailures":[]}"#)
        #expect(!output.isServerError)
        #expect(await harness.store.session(id: Self.other)?.energyWh == 800)
    }

    @Test("a batch leaves the store exactly as applying its readings one at a time would", arguments: 0..<40)
    func equivalentToOneAtATime(seed: UInt64) async throws {
        var random = SplitMix(seed: seed)
        var readings: [(energy: Int64, seq: Int64)] = []
        for _ in 0..<Int(random.next() % 12 + 1) {
            // Mostly rising energy, sometimes lower (a meter glitch), repeated and shuffled seq.
            readings.append((energy: Int64(random.next() % 5000), seq: Int64(random.next() % 8)))
        }
        let alreadyApplied = Int64(random.next() % 4)
        let seeded = Harness.session(energyWh: 1000)
        let batched = Harness([seeded])
        let single = Harness([seeded])
        _ = await batched.store.applyMeterValue(
            sessionId: seeded.sessionId, chargingPointId: "cp-1", energyWh: 1000, seq: alreadyApplied,
            receivedAt: Harness.start)
        _ = await single.store.applyMeterValue(
            sessionId: seeded.sessionId, chargingPointId: "cp-1", energyWh: 1000, seq: alreadyApplied,
            receivedAt: Harness.start)

        let records = try readings.enumerated().map { try record($1.energy, seq: $1.seq, id: "m\($0)") }
        let response = try await MeterValuesHandler(batched.dependencies)
            .handle(SQSEvent(records: records), context: .local())
        #expect(response.batchItemFailures.isEmpty)
        let inSeqOrder = readings.enumerated()
            .sorted { $0.element.seq != $1.element.seq ? $0.element.seq < $1.element.seq : $0.offset < $1.offset }
        for (energy, seq) in inSeqOrder.map(\.element) {
            _ = await single.store.applyMeterValue(
                sessionId: seeded.sessionId, chargingPointId: "cp-1", energyWh: energy, seq: seq,
                receivedAt: Harness.start)
        }
        let expected = try #require(await single.store.session(id: seeded.sessionId))
        let actual = try #require(await batched.store.session(id: seeded.sessionId))
        #expect(actual.energyWh == expected.energyWh, "\(readings) after seq \(alreadyApplied)")
        #expect(actual.lastMeterSeq == expected.lastMeterSeq)
        #expect(try batched.updates.count <= 1)
    }

    @Test("readings to write: the last one, plus earlier ones only when no later reading has more energy")
    func readingsToWrite() {
        func readings(_ pairs: [(Double, Int64)]) -> [MeterReading] {
            pairs.map { MeterReading(sessionId: "s", energyWh: $0.0, seq: $0.1) }
        }
        let rising = MeterBatchItem.readingsToWrite(readings([(300, 3), (100, 1), (200, 2), (300, 3)]))
        #expect(rising.map(\.seq) == [3])
        let glitch = MeterBatchItem.readingsToWrite(readings([(100, 1), (500, 2), (400, 3), (450, 4)]))
        #expect(glitch.map(\.seq) == [2, 4])
        #expect(MeterBatchItem.readingsToWrite([]).isEmpty)
    }

    @Test("a failing store write is reported in batchItemFailures for that session only; a retry records it once")
    func failingWrite() async throws {
        let harness = Harness([Harness.session(), Harness.session(Self.other, point: "cp-2")])
        let flaky = FlakyStore(harness.store, failingSessions: [Self.other])
        let batch = SQSEvent(records: [
            try record(1000, seq: 1, id: "a1"), try record(400, seq: 1, session: Self.other, point: "cp-2", id: "b1"),
            try record(1500, seq: 2, id: "a2"), try record(700, seq: 2, session: Self.other, point: "cp-2", id: "b2"),
        ])
        let response = try await MeterValuesHandler(harness.dependencies(store: flaky))
            .handle(batch, context: .local())
        #expect(response.batchItemFailures.map(\.itemIdentifier) == ["b1", "b2"])
        #expect(await harness.store.session(id: Harness.fixtureSessionID)?.energyWh == 1500)
        #expect(await harness.store.session(id: Self.other)?.energyWh == 0)
        #expect(try harness.updates.map(\.sessionId) == [Harness.fixtureSessionID])

        // The queue redelivers the whole batch's failures (here: everything again, as after a failed invocation).
        let retry = try await MeterValuesHandler(harness.dependencies).handle(batch, context: .local())
        #expect(retry.batchItemFailures.isEmpty)
        #expect(await harness.store.session(id: Self.other)?.energyWh == 700)
        #expect(await harness.store.session(id: Harness.fixtureSessionID)?.energyWh == 1500)
        #expect(try harness.updates.map(\.sessionId) == [Harness.fixtureSessionID, Self.other])
    }

    @Test("reaching the target in a batch stops the session once, with the batch's energy")
    func targetInBatch() async throws {
        let harness = Harness([Harness.session(targetEnergyWh: 5000)])
        let batch = SQSEvent(records: [
            try record(5200, seq: 2), try record(4000, seq: 1), try record(6000, seq: 3),
        ])
        let response = try await MeterValuesHandler(harness.dependencies).handle(batch, context: .local())
        #expect(response.batchItemFailures.isEmpty)
        let session = try #require(await harness.store.session(id: Harness.fixtureSessionID))
        #expect(session.status == .stopped)
        #expect(session.stopReason == .targetReached)
        #expect(session.energyWh == 6000)
        #expect(try harness.updates.map(\.status) == ["Stopped"])
    }

    @Test("an MQTT reading for an OCPP session is ignored: its charger meters it over OCPP only")
    func ocppSessionIgnored() async throws {
        var ocpp = Harness.session(targetEnergyWh: 5000)
        ocpp.connectorId = 1
        ocpp.transactionId = 7
        let harness = Harness([ocpp])
        let response = try await MeterValuesHandler(harness.dependencies).handle(
            SQSEvent(records: [try record(6000, seq: 1)]), context: .local())
        #expect(response.batchItemFailures.isEmpty)
        let session = try #require(await harness.store.session(id: Harness.fixtureSessionID))
        #expect(session.status == .charging)
        #expect(session.energyWh == 0)
        #expect(session.lastMeterSeq == -1)
        #expect(try harness.updates.isEmpty)
    }

    @Test("a stop that failed after the energy was written happens when the batch is retried")
    func stopOnRetry() async throws {
        let harness = Harness([Harness.session(targetEnergyWh: 5000)])
        let flaky = FlakyStore(harness.store, failingStops: 1)
        let batch = SQSEvent(records: [try record(5200, seq: 1, id: "x")])
        let first = try await MeterValuesHandler(harness.dependencies(store: flaky))
            .handle(batch, context: .local())
        #expect(first.batchItemFailures.map(\.itemIdentifier) == ["x"])
        #expect(await harness.store.session(id: Harness.fixtureSessionID)?.status == .charging)
        let retry = try await MeterValuesHandler(harness.dependencies(store: flaky))
            .handle(batch, context: .local())
        #expect(retry.batchItemFailures.isEmpty)
        let session = try #require(await harness.store.session(id: Harness.fixtureSessionID))
        #expect(session.status == .stopped)
        #expect(session.stopReason == .targetReached)
        #expect(session.energyWh == 5200)
    }

    @Test("malformed messages are dropped (not failures) and never written")
    func malformed() async throws {
        let harness = Harness([Harness.session()])
        var offTopic = try record(900, seq: 1, id: "topic")
        offTopic.body = offTopic.body.replacing("chargers/cp-1/meter", with: "chargers/cp-1/status")
        let notBase64 = SQSMessage(messageId: "b64", body: #"{"data":"%%%","topic":"chargers/cp-1/meter","ts":1}"#)
        let batch = SQSEvent(records: [
            SQSMessage(messageId: "text", body: "not json"), SQSMessage(messageId: "empty", body: ""),
            SQSMessage(messageId: "array", body: "[1,2]"), notBase64, offTopic,
            try Fixture.queueMessage(try Fixture.message("meter-garbage"), id: "garbage"),
        ])
        let response = try await MeterValuesHandler(harness.dependencies).handle(batch, context: .local())
        #expect(response.batchItemFailures.isEmpty)
        #expect(await harness.store.writeCount == 0)
        #expect(harness.publisher.messages.isEmpty)
    }

    @Test("an empty batch does nothing")
    func empty() async throws {
        let harness = Harness([Harness.session()])
        let response = try await MeterValuesHandler(harness.dependencies)
            .handle(SQSEvent(records: []), context: .local())
        #expect(response == SQSBatchResponse())
        #expect(await harness.store.writeCount == 0)
    }
}

/// A small deterministic generator (SplitMix64), so generated cases are the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
