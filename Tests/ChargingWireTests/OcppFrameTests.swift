import ChargingWire
import Testing

/// `text` read as an OCPP-J message.
private func frame(_ text: String) -> Result<OcppFrame, OcppFrameError> { OcppFrame.parse(Array(text.utf8)) }

/// A message that cannot be read, the CALLERROR code, the message id it is answered with (nil: `-1`), and whether
/// it is answered at all.
struct BrokenFrame: Sendable, CustomTestStringConvertible {
    var text: String
    var code: OcppErrorCode
    var messageId: String?
    var answered = true

    var testDescription: String { text.count > 60 ? String(text.prefix(60)) + "…" : text }
}

let brokenFrames: [BrokenFrame] = [
    .init(text: "not json", code: .formationViolation),
    .init(text: "[2,\"1\",\"Heartbeat\",{}", code: .formationViolation),
    .init(text: #"{"id":"1"}"#, code: .formationViolation),
    .init(text: "[]", code: .formationViolation),
    .init(text: #"["2","1","Heartbeat",{}]"#, code: .formationViolation, messageId: "1"),
    .init(text: #"[5,"m1","Heartbeat",{}]"#, code: .protocolError, messageId: "m1"),
    .init(text: #"[0,"m1"]"#, code: .protocolError, messageId: "m1"),
    .init(text: #"[2,"m1","Heartbeat"]"#, code: .protocolError, messageId: "m1"),
    .init(text: #"[2,"m1","Heartbeat",{},{}]"#, code: .protocolError, messageId: "m1"),
    .init(text: #"[2]"#, code: .protocolError),
    .init(text: #"[2,17,"Heartbeat",{}]"#, code: .formationViolation),
    .init(text: #"[2,null,"Heartbeat",{}]"#, code: .formationViolation),
    .init(text: #"[2,"","Heartbeat",{}]"#, code: .formationViolation, messageId: ""),
    .init(
        text: #"[2,"\#(String(repeating: "x", count: 37))","Heartbeat",{}]"#, code: .formationViolation,
        messageId: String(repeating: "x", count: 37)),
    .init(text: #"[2,"m1",7,{}]"#, code: .formationViolation, messageId: "m1"),
    .init(text: #"[2,"m1","",{}]"#, code: .formationViolation, messageId: "m1"),
    .init(text: #"[2,"m1","Heartbeat",[]]"#, code: .formationViolation, messageId: "m1"),
    .init(text: #"[2,"m1","Heartbeat","{}"]"#, code: .formationViolation, messageId: "m1"),
    .init(text: #"[3,"m1"]"#, code: .protocolError, messageId: "m1", answered: false),
    .init(text: #"[3,"m1",[]]"#, code: .formationViolation, messageId: "m1", answered: false),
    .init(text: #"[3,5,{}]"#, code: .formationViolation, answered: false),
    .init(text: #"[4,"m1","GenericError","x"]"#, code: .protocolError, messageId: "m1", answered: false),
    .init(text: #"[4,"m1",1,"x",{}]"#, code: .formationViolation, messageId: "m1", answered: false),
    .init(text: #"[4,"m1","GenericError",null,{}]"#, code: .formationViolation, messageId: "m1", answered: false),
    .init(text: #"[4,"m1","GenericError","x",[]]"#, code: .formationViolation, messageId: "m1", answered: false),
]

@Suite("OcppFrame")
struct OcppFrameTests {
    @Test("the three message forms are read")
    func forms() throws {
        #expect(
            try frame(#"[2, "19223201", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]"#)
                .get()
                == .call(
                    messageId: "19223201", action: "BootNotification",
                    payload: ["chargePointVendor": "V", "chargePointModel": "M"]))
        #expect(
            try frame(#"[3,"19223201",{"status":"Accepted","currentTime":"2026-12-01T10:00:00Z","interval":300}]"#)
                .get()
                == .callResult(
                    messageId: "19223201",
                    payload: ["status": "Accepted", "currentTime": "2026-12-01T10:00:00Z", "interval": 300]))
        #expect(
            try frame(#"[4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{"a":1}]"#).get()
                == .callError(
                    messageId: "162376037", code: "NotSupported",
                    description: "SetDisplayMessageRequest not implemented", details: ["a": 1]))
        let longest = String(repeating: "a", count: OcppFrame.maximumMessageIdLength)
        #expect(try frame(#"[2,"\#(longest)","Heartbeat",{}]"#).get().messageId == longest)
        #expect(try frame(#"[4,"m","SomeVendorCode","",{}]"#).get().messageId == "m")
    }

    @Test("each broken message gets its CALLERROR code, with its id when readable", arguments: brokenFrames)
    func broken(_ broken: BrokenFrame) throws {
        guard case .failure(let error) = frame(broken.text) else {
            Issue.record("\(broken.text) was read")
            return
        }
        #expect(error.code == broken.code, "\(error.description)")
        #expect(error.messageId == broken.messageId)
        #expect(error.isAnswered == broken.answered)
        let answer = error.answer
        #expect(answer.messageId == broken.messageId ?? "-1")
        guard case .callError(_, let code, let description, let details) = answer else {
            Issue.record("the answer is not a CALLERROR")
            return
        }
        #expect(code == broken.code.rawValue)
        #expect(description == error.description)
        #expect(details == [:])
    }

    @Test("serialized messages are read back as they were")
    func roundTrip() throws {
        let frames: [OcppFrame] = [
            .call(messageId: "a1", action: "Heartbeat", payload: [:]),
            .call(messageId: "a2", action: "MeterValues", payload: ["connectorId": 1, "meterValue": []]),
            .callResult(messageId: "b", payload: ["currentTime": "2026-12-01T10:00:00Z"]),
            .callError(messageId: "c", code: "GenericError", description: "\"quoted\"\n", details: ["k": [1.5]]),
            OcppFrame.error(answering: nil, .formationViolation, "broken"),
        ]
        for value in frames {
            #expect(try OcppFrame.parse(value.serialized()).get() == value)
        }
        #expect(
            String(
                decoding: OcppFrame.call(messageId: "1", action: "Heartbeat", payload: [:]).serialized(), as: UTF8.self)
                == #"[2,"1","Heartbeat",{}]"#)
        #expect(
            String(decoding: OcppFrame.error(answering: "7", .notImplemented, "no").serialized(), as: UTF8.self)
                == #"[4,"7","NotImplemented","no",{}]"#)
    }
}
