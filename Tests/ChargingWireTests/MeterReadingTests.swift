import ChargingWire
import Testing

@Suite("chargers/{id}/meter")
struct MeterReadingTests {
    static let reading = MeterReading(
        sessionId: "3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17", energyWh: 1250, timestamp: "2026-11-26T11:09:55.123Z",
        seq: 1)

    @Test("the fixture decodes, and encodes with sorted keys (the simulator's bytes) back to the same reading")
    func fixture() throws {
        let (topic, payload) = try Fixture.message("meter")
        #expect(Topics.meterChargingPoint(topic) == "cp-1")
        let reading = try MeterReading.decode(payload)
        #expect(reading == Self.reading)
        let encoded = try reading.encoded()
        #expect(
            text(encoded)
                == #"{"energyWh":1250,"seq":1,"sessionId":"3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17","#
                + #""timestamp":"2026-11-26T11:09:55.123Z"}"#)
        #expect(try MeterReading.decode(encoded) == reading)
    }

    @Test("without a timestamp the member is left out; fractional Wh round-trip")
    func optionalTimestamp() throws {
        let reading = MeterReading(sessionId: "s1", energyWh: 10.5, seq: 7)
        let encoded = try reading.encoded()
        #expect(text(encoded) == #"{"energyWh":10.5,"seq":7,"sessionId":"s1"}"#)
        #expect(try MeterReading.decode(encoded) == reading)
    }

    @Test("a timestamp that is not a string is informational and ignored; null members count as absent")
    func lenientTimestamp() throws {
        let numeric = try MeterReading.decode(Array(#"{"sessionId":"s1","energyWh":5,"seq":2,"timestamp":17}"#.utf8))
        #expect(numeric == MeterReading(sessionId: "s1", energyWh: 5, seq: 2))
        let null = try MeterReading.decode(Array(#"{"sessionId":"s1","energyWh":5,"seq":2,"timestamp":null}"#.utf8))
        #expect(null.timestamp == nil)
    }

    @Test("the shape does not judge values: negative numbers decode (ChargingCore refuses them)")
    func valuesAreNotJudged() throws {
        let reading = try MeterReading.decode(Array(#"{"sessionId":"x y","energyWh":-1,"seq":-1}"#.utf8))
        #expect(reading == MeterReading(sessionId: "x y", energyWh: -1, seq: -1))
    }

    @Test("the garbage fixture names energyWh")
    func garbageFixture() throws {
        let payload = try Fixture.payload("meter-garbage")
        let error = try #require(wireError { () throws(ChargingWireError) in try MeterReading.decode(payload) })
        #expect(error.code == .invalidMember)
        #expect(error.message == "energyWh must be a number")
    }

    static let malformedPayloads: [(payload: String, code: ChargingWireErrorCode, message: String)] = [
        ("", .malformedPayload, "payload is not valid JSON"),
        ("Charging", .malformedPayload, "payload is not valid JSON"),
        ("[1]", .malformedPayload, "payload must be a JSON object"),
        ("{}", .invalidMember, "sessionId is required"),
        (#"{"energyWh":10,"seq":1}"#, .invalidMember, "sessionId is required"),
        (#"{"sessionId":"s1","seq":1}"#, .invalidMember, "energyWh is required"),
        (#"{"sessionId":"s1","energyWh":null,"seq":1}"#, .invalidMember, "energyWh is required"),
        (#"{"sessionId":"s1","energyWh":"10","seq":1}"#, .invalidMember, "energyWh must be a number"),
        (#"{"sessionId":"s1","energyWh":10}"#, .invalidMember, "seq is required"),
        (#"{"sessionId":"s1","energyWh":10,"seq":1.5}"#, .invalidMember, "seq must be an integer"),
        (#"{"sessionId":"s1","energyWh":10,"seq":"1"}"#, .invalidMember, "seq must be an integer"),
        (#"{"sessionId":7,"energyWh":10,"seq":1}"#, .invalidMember, "sessionId must be a string"),
        (#"{"sessionId":"s1","energyWh":10,"seq":1"#, .malformedPayload, "payload is not valid JSON"),
    ]

    @Test("malformed payloads fail with a code and the member at fault", arguments: malformedPayloads)
    func malformed(payload: String, code: ChargingWireErrorCode, message: String) throws {
        let error = try #require(
            wireError { () throws(ChargingWireError) in
                try MeterReading.decode(Array(payload.utf8))
            })
        #expect(error.code == code)
        #expect(error.message == message)
    }

    @Test("the meter topic of a charging point, and back")
    func topics() {
        #expect(Topics.meter(chargingPointId: "cp-7") == "chargers/cp-7/meter")
        #expect(Topics.meterChargingPoint(Topics.meter(chargingPointId: "cp-7")) == "cp-7")
        for topic in ["chargers//meter", "chargers/cp-1/status", "chargers/cp-1/meter/x", "session/updates", ""] {
            #expect(Topics.meterChargingPoint(topic) == nil, "\(topic)")
        }
    }
}
