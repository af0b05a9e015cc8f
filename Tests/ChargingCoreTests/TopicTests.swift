import ChargingCore
import Foundation
import FunctionRuntime
import Testing

@Suite("ChargingUpdates")
struct ChargingUpdatesTests {
    @Test("plain \"Charging\" starts a session on the default point with default values; \"Stopped\" stops it")
    func plainText() async throws {
        let harness = Harness()
        let handler = ChargingUpdatesHandler(harness.dependencies)
        try await harness.deliver(handler, Fixture.message("charging-plain"))
        let started = try #require(await harness.store.all.first)
        #expect(started.chargingPointId == "cp-1")
        #expect(started.userId == "unknown")
        #expect(started.vehicleId == "unknown")
        #expect(started.maxPower == 11)
        #expect(started.targetCharge == 80)
        #expect(started.targetEnergyWh == 22_000)
        #expect(started.status == .charging)

        harness.clock.advance(minutes: 12)
        try await harness.deliver(handler, Fixture.message("stopped-plain"))
        let stopped = try #require(await harness.store.session(id: started.sessionId))
        #expect(stopped.status == .stopped)
        #expect(stopped.stopReason == .requested)
        #expect(try harness.updates.map(\.status) == ["Charging", "Stopped"])
        #expect(try harness.updates.last?.durationMinutes == 12)
    }

    @Test("the original UI's JSON {\"status\":\"Charging\"} works unchanged")
    func uiJSON() async throws {
        let harness = Harness()
        try await harness.deliver(ChargingUpdatesHandler(harness.dependencies), Fixture.message("charging-json-ui"))
        #expect(await harness.store.all.map(\.chargingPointId) == ["cp-1"])
    }

    @Test("JSON with every field, then a JSON stop by sessionId")
    func fullJSON() async throws {
        let harness = Harness([Harness.session(energyWh: 15_500)])
        let handler = ChargingUpdatesHandler(harness.dependencies)
        try await harness.deliver(handler, Fixture.message("charging-json"))
        let cp3 = try #require(await harness.store.all.first { $0.chargingPointId == "cp-3" })
        #expect(cp3.userId == "user-9")
        #expect(cp3.vehicleId == "vehicle-3")
        #expect(cp3.maxPower == 22)
        #expect(cp3.targetCharge == 90)

        try await harness.deliver(handler, Fixture.message("stopped-json"))
        let stopped = try #require(await harness.store.session(id: Harness.fixtureSessionID))
        #expect(stopped.status == .stopped)
        #expect(stopped.costCents == 1275)
        #expect(await harness.store.session(id: cp3.sessionId)?.status == .charging)
    }

    @Test("configured defaults apply to bare messages")
    func configuredDefaults() async throws {
        var harness = Harness()
        harness.defaults = try ChargingDefaults.fromEnvironment(
            FunctionEnvironment(["DEFAULT_CHARGING_POINT": "cp-9", "DEFAULT_MAX_POWER": "22"]))
        try await harness.deliver(ChargingUpdatesHandler(harness.dependencies), Fixture.message("charging-plain"))
        let session = try #require(await harness.store.all.first)
        #expect(session.chargingPointId == "cp-9")
        #expect(session.maxPower == 22)
    }

    static let garbage: [String] = [
        "", "   ", "Paused", "{", "[]", "42", "{\"status\":\"Paused\"}", "{\"chargingPointId\":\"cp-1\"}",
        "{\"status\":\"Charging\",\"maxPower\":9999}", "{\"status\":\"Charging\",\"chargingPointId\":\"cp 1\"}",
        "{\"status\":\"Stopped\",\"sessionId\":\"\"}", "{\"status\":7}",
    ]

    @Test("malformed payloads are dropped: no error, no write, no publish", arguments: garbage)
    func malformed(payload: String) async throws {
        let harness = Harness([Harness.session()])
        var message = try Fixture.message("garbage")
        message.payload = Array(payload.utf8)
        try await harness.deliver(ChargingUpdatesHandler(harness.dependencies), message)
        #expect(await harness.store.writeCount == 0)
        #expect(harness.publisher.messages.isEmpty)
    }

    @Test("the binary garbage fixture is dropped")
    func garbageFixture() async throws {
        let harness = Harness()
        try await harness.deliver(ChargingUpdatesHandler(harness.dependencies), Fixture.message("garbage"))
        #expect(await harness.store.writeCount == 0)
        #expect(harness.publisher.messages.isEmpty)
    }

    @Test("Charging on a busy point, Stopped with nothing active and an unknown sessionId are refused quietly")
    func refused() async throws {
        let harness = Harness([Harness.session()])
        let handler = ChargingUpdatesHandler(harness.dependencies)
        try await harness.deliver(handler, Fixture.message("charging-plain"))
        var stopOther = try Fixture.message("stopped-plain")
        stopOther.payload = Array(#"{"status":"Stopped","chargingPointId":"cp-5"}"#.utf8)
        try await harness.deliver(handler, stopOther)
        stopOther.payload = Array(#"{"status":"Stopped","sessionId":"no-such-session"}"#.utf8)
        try await harness.deliver(handler, stopOther)
        #expect(await harness.store.writeCount == 0)
        #expect(harness.publisher.messages.isEmpty)
    }
}

@Suite("MeterValues")
struct MeterValuesTests {
    func reading(_ energyWh: Int64, seq: Int64, session: String = Harness.fixtureSessionID) throws -> TopicMessage {
        var message = try Fixture.message("meter")
        message.payload = Array(
            #"{"sessionId":"\#(session)","energyWh":\#(energyWh),"timestamp":"2026-11-26T11:10:00Z","seq":\#(seq)}"#
                .utf8)
        return message
    }

    @Test("the fixture records energy and publishes session/updates")
    func fixture() async throws {
        let harness = Harness([Harness.session()])
        try await harness.deliver(MeterValuesHandler(harness.dependencies), Fixture.message("meter"))
        let session = try #require(await harness.store.session(id: Harness.fixtureSessionID))
        #expect(session.energyWh == 1250)
        #expect(session.lastMeterSeq == 1)
        let update = try #require(try harness.updates.first)
        #expect(update.status == "Charging")
        #expect(update.energyConsumed == 1.25)
        #expect(update.cost == 5.63)
        #expect(update.durationMinutes == 30)
        #expect(update.chargingPointId == "cp-1")
        #expect(update.timestamp == "2026-11-26T11:09:55.123Z")
        // The bytes screens and chargers receive: sorted keys, as published before ChargingWire existed.
        let bytes = try #require(harness.publisher.messages.first?.payload)
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"chargingPointId":"cp-1","cost":5.63,"durationMinutes":30,"energyConsumed":1.25,"#
                + #""sessionId":"3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17","status":"Charging","#
                + #""timestamp":"2026-11-26T11:09:55.123Z"}"#)
    }

    @Test("energy never goes backwards, and duplicate or out-of-order seq are ignored")
    func monotonic() async throws {
        let harness = Harness([Harness.session()])
        let handler = MeterValuesHandler(harness.dependencies)
        try await harness.deliver(handler, reading(1000, seq: 1))
        try await harness.deliver(handler, reading(1000, seq: 1))  // duplicate
        try await harness.deliver(handler, reading(3000, seq: 3))
        try await harness.deliver(handler, reading(2000, seq: 2))  // out of order
        try await harness.deliver(handler, reading(2500, seq: 4))  // newer seq, lower energy
        let session = try #require(await harness.store.session(id: Harness.fixtureSessionID))
        #expect(session.energyWh == 3000)
        #expect(session.lastMeterSeq == 4)
        #expect(try harness.updates.map(\.energyConsumed) == [1, 3, 3])
    }

    @Test("the session stops by itself at targetEnergyWh with stopReason TargetReached")
    func autoStop() async throws {
        let harness = Harness([Harness.session(targetEnergyWh: 5000)])
        let handler = MeterValuesHandler(harness.dependencies)
        try await harness.deliver(handler, reading(4000, seq: 1))
        harness.clock.advance(minutes: 5)
        try await harness.deliver(handler, reading(5200, seq: 2))
        let session = try #require(await harness.store.session(id: Harness.fixtureSessionID))
        #expect(session.status == .stopped)
        #expect(session.stopReason == .targetReached)
        #expect(session.energyWh == 5200)
        #expect(session.costCents == 760)
        let last = try #require(try harness.updates.last)
        #expect(last.status == "Stopped")
        #expect(last.energyConsumed == 5.2)
        #expect(last.cost == 7.6)
        #expect(last.durationMinutes == 35)
        // later readings change nothing, and the point is free again
        try await harness.deliver(handler, reading(6000, seq: 3))
        #expect(await harness.store.session(id: Harness.fixtureSessionID)?.energyWh == 5200)
        #expect(try harness.updates.count == 2)
        let restart = try await harness.respond(StartSessionHandler(harness.dependencies), Fixture.request("start"))
        #expect(restart.statusCode == 201)
    }

    @Test("a reading for another charging point's session, an unknown session or a stopped one is ignored")
    func ignored() async throws {
        let harness = Harness([Harness.session(), Harness.session("done", point: "cp-2", status: .stopped)])
        let handler = MeterValuesHandler(harness.dependencies)
        var wrongPoint = try reading(900, seq: 1)
        wrongPoint.topic = "chargers/cp-2/meter"
        try await harness.deliver(handler, wrongPoint)
        try await harness.deliver(handler, reading(900, seq: 1, session: "nobody"))
        var stopped = try reading(900, seq: 1, session: "done")
        stopped.topic = "chargers/cp-2/meter"
        try await harness.deliver(handler, stopped)
        #expect(await harness.store.writeCount == 0)
        #expect(harness.publisher.messages.isEmpty)
    }

    /// Bad payloads for the harness's charging session (a valid one would be written, so each must be refused).
    /// Well-formed readings with values out of bounds (negative energy or `seq`) are rejected and counted on the
    /// session instead (MeterPlausibilityTests).
    static let garbage: [String] = [
        "", "Charging", "{}", "[1]", #"{"energyWh":10,"seq":1}"#, #"{"sessionId":"x y","energyWh":10,"seq":1}"#,
        #"{"sessionId":"\#(id)","seq":1}"#, #"{"sessionId":"\#(id)","energyWh":10}"#,
        #"{"sessionId":"\#(id)","energyWh":10,"seq":1.5}"#, #"{"sessionId":"\#(id)","energyWh":"10","seq":1}"#,
    ]
    static let id = Harness.fixtureSessionID

    @Test("malformed meter payloads are dropped without a write", arguments: garbage)
    func malformed(payload: String) async throws {
        let harness = Harness([Harness.session()])
        var message = try Fixture.message("meter-garbage")
        message.payload = Array(payload.utf8)
        try await harness.deliver(MeterValuesHandler(harness.dependencies), message)
        #expect(await harness.store.writeCount == 0)
        #expect(harness.publisher.messages.isEmpty)
    }

    @Test("the garbage fixture and an unexpected topic are dropped")
    func garbageFixture() async throws {
        let harness = Harness([Harness.session()])
        let handler = MeterValuesHandler(harness.dependencies)
        try await harness.deliver(handler, Fixture.message("meter-garbage"))
        var offTopic = try Fixture.message("meter")
        offTopic.topic = "chargers/cp-1/status"
        try await harness.deliver(handler, offTopic)
        #expect(await harness.store.writeCount == 0)
    }
}
