import ChargingCore
import ChargingCoreTesting
import ChargingWire
import Foundation
import FunctionRuntime
import Testing

extension Harness {
    /// Delivers one SQS batch of raw meter payloads on `chargers/<point>/meter` (numbers written as given).
    @discardableResult
    func meter(_ payloads: [String], point: String = "cp-1") async throws -> SQSBatchResponse {
        let records = try payloads.enumerated().map { index, payload in
            try Fixture.queueMessage(
                TopicMessage(topic: "chargers/\(point)/meter", payload: Array(payload.utf8), timestamp: Harness.start),
                id: "m-\(index)")
        }
        return try await MeterValuesHandler(dependencies).handle(SQSEvent(records: records), context: .local())
    }

    /// A meter payload for the fixture session.
    static func reading(_ energyWh: String, seq: String, session: String = fixtureSessionID) -> String {
        #"{"sessionId":"\#(session)","energyWh":\#(energyWh),"seq":\#(seq)}"#
    }

    var fixtureSession: ChargingSession {
        get async throws { try #require(await store.session(id: Harness.fixtureSessionID)) }
    }
}

@Suite("Meter values must be physically possible")
struct MeterPlausibilityTests {
    /// A session started one second ago on an 11 kW point.
    static func justStarted() -> Harness {
        Harness([Harness.session(startedMinutesAgo: 0)])
    }

    @Test("1e12 Wh one second after the start on 11 kW is rejected, counted, logged and emitted, never billed")
    func absurdEnergy() async throws {
        let harness = Self.justStarted()
        harness.clock.advance(seconds: 1)
        let response = try await harness.meter([Harness.reading("1e12", seq: "1")])
        #expect(response.batchItemFailures.isEmpty)
        let session = try await harness.fixtureSession
        #expect(session.energyWh == 0)
        #expect(session.lastMeterSeq == -1)
        #expect(session.lastReadingAt == nil)
        #expect(session.rejectedReadings == 1)
        #expect(harness.publisher.messages.isEmpty)
        #expect(harness.metrics.total(ChargingService.rejectedReadingsMetric) == 1)
        let stopped = try await harness.dependencies.service.stop(
            sessionId: session.sessionId, logger: .init(label: "t"))
        #expect(stopped.session.costCents == 500)
    }

    @Test("a seq of Int64.max is rejected and does not poison the session: the next reading is applied")
    func hugeSeq() async throws {
        let harness = Harness([Harness.session()])
        try await harness.meter([Harness.reading("100", seq: "9223372036854775807")])
        try await harness.meter([Harness.reading("200", seq: "2")])
        let session = try await harness.fixtureSession
        #expect(session.energyWh == 200)
        #expect(session.lastMeterSeq == 2)
        #expect(session.rejectedReadings == 1)
    }

    @Test(
        "seq bounds: 0...2^53 and at most lastMeterSeq + 1,000,000",
        arguments: [
            ("-1", false), ("0", true), ("1000000", true), ("1000001", false), ("9007199254740993", false),
        ])
    func seqBounds(seq: String, accepted: Bool) async throws {
        let harness = Harness([Harness.session()])
        try await harness.meter([Harness.reading("100", seq: seq)])
        let session = try await harness.fixtureSession
        #expect(session.energyWh == (accepted ? 100 : 0))
        #expect(session.rejectedReadings == (accepted ? 0 : 1))
    }

    @Test("the seq window moves with the last applied seq")
    func seqWindowMoves() async throws {
        let harness = Harness([Harness.session()])
        try await harness.meter([Harness.reading("100", seq: "900000")])
        try await harness.meter([Harness.reading("200", seq: "1900000")])
        #expect(try await harness.fixtureSession.lastMeterSeq == 1_900_000)
    }

    @Test("energy bound: maxPower × elapsed × 1.1 + 100 Wh, on the server's clock at arrival")
    func energyBound() async throws {
        // 11 kW for 30 minutes: 5500 Wh, +10 % = 6050, + 100 = 6150 Wh.
        let harness = Harness([Harness.session()])
        try await harness.meter([Harness.reading("6151", seq: "1")])
        #expect(try await harness.fixtureSession.energyWh == 0)
        try await harness.meter([Harness.reading("6150", seq: "2")])
        #expect(try await harness.fixtureSession.energyWh == 6150)
        // Later on the server's clock the same reading would have been possible.
        harness.clock.advance(minutes: 1)
        try await harness.meter([Harness.reading("6151", seq: "3")])
        let session = try await harness.fixtureSession
        #expect(session.energyWh == 6151)
        #expect(session.rejectedReadings == 1)
        #expect(session.lastReadingAt == Harness.start + 60_000)
        #expect(session.lastActivity == Harness.start + 60_000)
    }

    @Test("negative energy is rejected and counted; one bad reading does not hold back the good ones of its batch")
    func mixedBatch() async throws {
        let harness = Harness([Harness.session()])
        try await harness.meter([
            Harness.reading("-5", seq: "1"), Harness.reading("1000", seq: "2"), Harness.reading("1e9", seq: "3"),
            Harness.reading("1200", seq: "4"),
        ])
        let session = try await harness.fixtureSession
        #expect(session.energyWh == 1200)
        #expect(session.lastMeterSeq == 4)
        #expect(session.rejectedReadings == 2)
        #expect(harness.metrics.emissions.count == 1)
        #expect(harness.metrics.total("RejectedReadings") == 2)
        #expect(try harness.updates.map(\.energyConsumed) == [1.2])
    }

    @Test("readings for an unknown, stopped or other point's session are ignored, not counted as rejected")
    func ignoredNotRejected() async throws {
        let harness = Harness([Harness.session(), Harness.session("done", point: "cp-2", status: .stopped)])
        try await harness.meter([Harness.reading("1e12", seq: "1")], point: "cp-2")
        try await harness.meter([Harness.reading("1e12", seq: "1", session: "done")], point: "cp-2")
        try await harness.meter([Harness.reading("1e12", seq: "1", session: "nobody")])
        #expect(try await harness.fixtureSession.rejectedReadings == 0)
        #expect(await harness.store.writeCount == 0)
        #expect(harness.metrics.emissions.isEmpty)
    }

    @Test("rejectedReadings is shown by GET /sessions/{id}, /status and /sessions")
    func shown() async throws {
        let harness = Harness([Harness.session()])
        try await harness.meter([Harness.reading("1e12", seq: "1")])
        let one = try await harness.respond(
            GetSessionHandler(harness.dependencies), Fixture.request("session"))
        #expect(try json(one)["rejectedReadings"] as? Int == 1)
        let status = try await harness.respond(GetStatusHandler(harness.dependencies), Fixture.request("status"))
        #expect(try json(status)["rejectedReadings"] as? Int == 1)
        let list = try await harness.respond(ListSessionsHandler(harness.dependencies), Fixture.request("sessions"))
        let sessions = try #require(try json(list)["sessions"] as? [[String: Any]])
        #expect(sessions.first?["rejectedReadings"] as? Int == 1)
    }

    @Test("METER_* configuration: defaults, values, and errors naming the variable")
    func environment() throws {
        #expect(try MeterPlausibility.fromEnvironment(FunctionEnvironment([:])) == MeterPlausibility())
        let custom = try MeterPlausibility.fromEnvironment(
            FunctionEnvironment(["METER_POWER_TOLERANCE": "0.2", "METER_TOLERANCE_WH": "50", "METER_TIME_SCALE": "60"]))
        #expect(custom == MeterPlausibility(powerTolerance: 0.2, toleranceWh: 50, timeScale: 60))
        for (name, value) in [
            ("METER_POWER_TOLERANCE", "-1"), ("METER_TOLERANCE_WH", "x"), ("METER_TIME_SCALE", "0.5"),
        ] {
            #expect {
                try MeterPlausibility.fromEnvironment(FunctionEnvironment([name: value]))
            } throws: { error in
                "\(error)".contains(name)
            }
        }
    }

    @Test("the EMF line of a rejected reading: namespace evcsm, FunctionName dimension, a Count")
    func embeddedMetricLine() throws {
        let emitter = EmbeddedMetricsEmitter(
            namespace: "evcsm", functionName: "MeterValues", now: { 1_795_691_395_123 }, write: { _ in })
        let line = try #require(emitter.line([MetricValue("RejectedReadings", 2)]))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["FunctionName"] as? String == "MeterValues")
        #expect(object["RejectedReadings"] as? Int == 2)
        let aws = try #require(object["_aws"] as? [String: Any])
        #expect(aws["Timestamp"] as? Int == 1_795_691_395_123)
        let directive = try #require((aws["CloudWatchMetrics"] as? [[String: Any]])?.first)
        #expect(directive["Namespace"] as? String == "evcsm")
        #expect(directive["Dimensions"] as? [[String]] == [["FunctionName"]])
        #expect(directive["Metrics"] as? [[String: String]] == [["Name": "RejectedReadings", "Unit": "Count"]])
    }
}
