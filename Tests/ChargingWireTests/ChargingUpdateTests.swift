import ChargingWire
import Testing

@Suite("charging/updates")
struct ChargingUpdateTests {
    @Test(
        "plain-text fixtures decode to a bare status and encode back to the same bytes",
        arguments: [
            ("charging-plain", "Charging"), ("stopped-plain", "Stopped"),
        ])
    func plainText(fixture: String, status: String) throws {
        let (topic, payload) = try Fixture.message(fixture)
        #expect(topic == Topics.chargingUpdates)
        let update = try ChargingUpdate.decode(payload)
        #expect(update == ChargingUpdate(status: status))
        #expect(update.hasPlainTextForm)
        #expect(try update.encoded(.plainText) == payload)
        #expect(try ChargingUpdate.decode(update.encoded(.json)) == update)
    }

    @Test("the original UI's {\"status\":\"Charging\"} round-trips byte for byte")
    func uiJSON() throws {
        let payload = try Fixture.payload("charging-json-ui")
        let update = try ChargingUpdate.decode(payload)
        #expect(update == ChargingUpdate(status: "Charging"))
        #expect(try update.encoded() == payload)
    }

    @Test("JSON with every field decodes; it encodes with sorted keys and decodes back the same")
    func fullJSON() throws {
        let update = try ChargingUpdate.decode(Fixture.payload("charging-json"))
        #expect(
            update
                == ChargingUpdate(
                    status: "Charging", chargingPointId: "cp-3", userId: "user-9", vehicleId: "vehicle-3",
                    maxPower: 22, targetCharge: 90))
        #expect(!update.hasPlainTextForm)
        let encoded = try update.encoded()
        #expect(
            text(encoded)
                == #"{"chargingPointId":"cp-3","maxPower":22,"status":"Charging","targetCharge":90,"#
                + #""userId":"user-9","vehicleId":"vehicle-3"}"#)
        #expect(try ChargingUpdate.decode(encoded) == update)
    }

    @Test("a JSON stop by sessionId")
    func stopJSON() throws {
        let update = try ChargingUpdate.decode(Fixture.payload("stopped-json"))
        #expect(update == ChargingUpdate(status: "Stopped", sessionId: "3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17"))
        #expect(
            text(try update.encoded())
                == #"{"sessionId":"3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17","status":"Stopped"}"#)
    }

    @Test("surrounding whitespace, a JSON string, null members and batteryCapacity/currentCharge")
    func otherForms() throws {
        #expect(try ChargingUpdate.decode(Array(" Stopped\r\n".utf8)) == ChargingUpdate(status: "Stopped"))
        #expect(try ChargingUpdate.decode(Array(#" "Charging" "#.utf8)) == ChargingUpdate(status: "Charging"))
        #expect(try ChargingUpdate.decode(Array("charging".utf8)) == ChargingUpdate(status: "charging"))
        let nulls = #"{"status":"Stopped","sessionId":null,"maxPower":null}"#
        #expect(try ChargingUpdate.decode(Array(nulls.utf8)) == ChargingUpdate(status: "Stopped"))
        let battery = #"{"status":"Charging","batteryCapacity":75,"currentCharge":20.5,"unknown":true}"#
        #expect(
            try ChargingUpdate.decode(Array(battery.utf8))
                == ChargingUpdate(status: "Charging", batteryCapacity: 75, currentCharge: 20.5))
    }

    @Test("the shape does not judge the status: any bare word decodes (ChargingCore refuses Paused)")
    func statusNotJudged() throws {
        #expect(try ChargingUpdate.decode(Array("Paused".utf8)) == ChargingUpdate(status: "Paused"))
        #expect(try ChargingUpdate.decode(Array(#"{"status":"Paused"}"#.utf8)).status == "Paused")
    }

    @Test("only a bare status word has a plain-text form")
    func plainTextFormOnlyForStatus() {
        for update in [ChargingUpdate(status: "Stopped", sessionId: "s1"), ChargingUpdate(status: "Char ging")] {
            #expect(!update.hasPlainTextForm)
            let error = wireError { () throws(ChargingWireError) in try update.encoded(.plainText) }
            #expect(error?.code == .unencodable)
        }
    }

    @Test("the binary garbage fixture is malformed")
    func garbageFixture() throws {
        let payload = try Fixture.payload("garbage")
        let error = try #require(wireError { () throws(ChargingWireError) in try ChargingUpdate.decode(payload) })
        #expect(error.code == .malformedPayload)
    }

    static let neither = "payload is neither a plain-text status nor a JSON object"
    static let malformedPayloads: [(payload: String, code: ChargingWireErrorCode, message: String)] = [
        ("", .malformedPayload, "payload is empty"),
        ("   ", .malformedPayload, "payload is empty"),
        ("{", .malformedPayload, "payload is not valid JSON"),
        ("[]", .malformedPayload, neither),
        ("42", .malformedPayload, neither),
        ("Charging now", .malformedPayload, neither),
        (String(repeating: "a", count: ChargingUpdate.maxPlainTextLength + 1), .malformedPayload, neither),
        (#""Charging"#, .malformedPayload, "payload is not valid JSON"),
        (#"{"chargingPointId":"cp-1"}"#, .invalidMember, "status is required"),
        (#"{"status":null}"#, .invalidMember, "status is required"),
        (#"{"status":7}"#, .invalidMember, "status must be a string"),
        (#"{"status":"Charging","maxPower":"22"}"#, .invalidMember, "maxPower must be a number"),
        (#"{"status":"Stopped","sessionId":5}"#, .invalidMember, "sessionId must be a string"),
        (#"{"status":"Charging"} trailing"#, .malformedPayload, "payload is not valid JSON"),
    ]

    @Test("malformed payloads fail with a code and the member at fault", arguments: malformedPayloads)
    func malformed(payload: String, code: ChargingWireErrorCode, message: String) throws {
        let error = try #require(
            wireError { () throws(ChargingWireError) in
                try ChargingUpdate.decode(Array(payload.utf8))
            })
        #expect(error.code == code)
        #expect(error.message == message)
    }
}
