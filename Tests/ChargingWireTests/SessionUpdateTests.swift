import ChargingWire
import Testing

@Suite("session/updates")
struct SessionUpdateTests {
    static let update = SessionUpdate(
        sessionId: "3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17", chargingPointId: "cp-1", status: "Charging",
        energyConsumed: 1.25, cost: 5.63, durationMinutes: 30, timestamp: "2026-11-26T11:09:55.123Z")

    /// What the functions published before ChargingWire existed (keys sorted, `/` unescaped).
    static let bytes =
        #"{"chargingPointId":"cp-1","cost":5.63,"durationMinutes":30,"energyConsumed":1.25,"#
        + #""sessionId":"3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17","status":"Charging","#
        + #""timestamp":"2026-11-26T11:09:55.123Z"}"#

    @Test("encodes to the published bytes, key order included, and decodes back")
    func roundTrip() throws {
        let encoded = try Self.update.encoded()
        #expect(text(encoded) == Self.bytes)
        #expect(try SessionUpdate.decode(encoded) == Self.update)
        #expect(try SessionUpdate.decode(Array(Self.bytes.utf8)).encoded() == encoded)
    }

    @Test("a stopped session with whole numbers and a slash in an id")
    func stoppedWholeNumbers() throws {
        var update = Self.update
        update.status = "Stopped"
        update.chargingPointId = "site/7"
        update.energyConsumed = 15.5
        update.cost = 12.75
        update.durationMinutes = 0
        let encoded = try update.encoded()
        #expect(text(encoded).hasPrefix(#"{"chargingPointId":"site/7","cost":12.75,"durationMinutes":0,"#))
        #expect(text(encoded).contains(#""energyConsumed":15.5,"#))
        #expect(try SessionUpdate.decode(encoded) == update)
    }

    @Test("keys in another order, extra members and whitespace decode to the same message")
    func tolerantOrder() throws {
        let payload =
            #" { "timestamp": "2026-11-26T11:09:55.123Z", "status": "Charging", "sessionId": "#
            + #""3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17", "extra": [1], "energyConsumed": 1.25, "#
            + #""durationMinutes": 30, "cost": 5.63, "chargingPointId": "cp-1" } "#
        #expect(try SessionUpdate.decode(Array(payload.utf8)) == Self.update)
    }

    static let malformedPayloads: [(payload: String, code: ChargingWireErrorCode, message: String)] = [
        ("", .malformedPayload, "payload is not valid JSON"),
        ("Charging", .malformedPayload, "payload is not valid JSON"),
        ("[]", .malformedPayload, "payload must be a JSON object"),
        ("null", .malformedPayload, "payload must be a JSON object"),
        (
            #"{"sessionId":"s1","chargingPointId":"cp-1","status":"Charging"}"#, .invalidMember,
            "energyConsumed is required"
        ),
        (String(bytes.dropLast()), .malformedPayload, "payload is not valid JSON"),
        (bytes.replacing(#""cost":5.63"#, with: #""cost":"5.63""#), .invalidMember, "cost must be a number"),
        (bytes.replacing(#""cost":5.63"#, with: #""cost":null"#), .invalidMember, "cost is required"),
        (bytes.replacing(#""status":"Charging""#, with: #""status":1"#), .invalidMember, "status must be a string"),
        (
            bytes.replacing(#""durationMinutes":30"#, with: #""durationMinutes":"30""#), .invalidMember,
            "durationMinutes must be an integer"
        ),
    ]

    @Test("malformed payloads fail with a code and the member at fault", arguments: malformedPayloads)
    func malformed(payload: String, code: ChargingWireErrorCode, message: String) throws {
        let error = try #require(
            wireError { () throws(ChargingWireError) in
                try SessionUpdate.decode(Array(payload.utf8))
            })
        #expect(error.code == code)
        #expect(error.message == message)
    }
}
