import Essentials
import Foundation
import FunctionRuntime
import Testing

@testable import LocalRunner

/// The bytes the runner writes (IoT rule events, dead letters, `/healthz`, API Gateway answers) now that
/// they go through Codable: sorted keys, unescaped slashes, and the same values as before.
@Suite("Runner JSON on the wire")
struct RunnerJSONTests {
    @Test("SELECT * spreads the payload's fields: sorted keys at every level, slashes unescaped, integers kept")
    func selectStar() throws {
        let payload =
            #"{"z":{"b":2,"a":[1,"x/y",{"d":null,"c":true}]},"energyWh":1234.5,"seq":7,"big":12345678901234567890,"neg":-9223372036854775808,"small":2.5e-3,"t":"a\"b\\c\né"}"#
        let message = MQTTMessage(topic: "chargers/cp-1/meter", payload: Array(payload.utf8), receivedAt: 42)
        let rule = TopicRule(filter: "chargers/+/meter", select: [.payload, .topic("topic"), .timestamp("ts")])
        let event = try #require(TopicBridge.event(for: message, rule: rule))
        #expect(
            String(decoding: event, as: UTF8.self)
                == #"{"big":12345678901234567890,"energyWh":1234.5,"neg":-9223372036854775808,"seq":7,"small":0.0025,"t":"a\"b\\c\né","topic":"chargers/cp-1/meter","ts":42,"z":{"a":[1,"x/y",{"c":true,"d":null}],"b":2}}"#
        )
        // The envelope evcsm's rules use, byte for byte.
        let envelope = try #require(
            TopicBridge.event(
                for: MQTTMessage(topic: "charging/updates", payload: Array("hi".utf8), receivedAt: 7),
                rule: TopicRule(filter: "#", select: TopicRule.iotRuleEnvelope)))
        #expect(String(decoding: envelope, as: UTF8.self) == #"{"data":"aGk=","topic":"charging/updates","ts":7}"#)
        for notAnObject in ["[1,2]", "\"text\"", "12", "{broken"] {
            let message = MQTTMessage(topic: "a", payload: Array(notAnObject.utf8))
            #expect(TopicBridge.event(for: message, rule: TopicRule(filter: "#", select: [.payload])) == nil)
        }
    }

    @Test("a dead letter is one sorted-key JSON line with an ISO-8601 millisecond timestamp")
    func deadLetterLine() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let file = DeadLetterFile(path: "\(dir)/dead-letters.jsonl")
        let message = MQTTMessage(topic: "test/fail", payload: Array("boom".utf8), receivedAt: 1_700_000_000_000)
        try file.write(function: "Failing", message: message, attempts: 3, error: "a/b failed")
        try file.write(function: "Failing", message: message, attempts: 0, error: "not JSON")
        let lines = try String(contentsOfFile: file.path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = String(lines[0])
        #expect(
            first.hasPrefix(
                #"{"attempts":3,"error":"a/b failed","function":"Failing","payloadBase64":"Ym9vbQ==","receivedAt":1700000000000,"timestamp":""#
            ))
        #expect(first.hasSuffix(#"","topic":"test/fail"}"#))
        let entry = try JSONDecoder().decode(DeadLetterFile.Entry.self, from: Data(first.utf8))
        #expect(Timestamp.parse(entry.timestamp) != nil)
        #expect(entry.timestamp.count == "2026-01-01T00:00:00.000Z".count)
        #expect(throws: LocalRunnerError.self) {
            try DeadLetterFile(path: "\(dir)/missing/dir/dead.jsonl")
                .write(function: "F", message: message, attempts: 1, error: "e")
        }
    }

    @Test("/healthz body keeps its keys sorted")
    func healthReport() throws {
        let health = Health(
            metrics: RunnerMetrics(), started: .now, brokerConnected: { true }, functionCount: 7)
        let bytes = try RunnerJSON.encoder.encode(health.report())
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"functions":7,"mqtt":"connected","status":"ok","uptimeSeconds":0}"#)
    }

    @Test(
        "function output: {statusCode} is a response, any other JSON value a 200 JSON body, non-JSON a 502",
        arguments: [
            (#"{"statusCode":201,"body":"made"}"#, 201, "made"),
            (#"{"hello":"world"}"#, 200, #"{"hello":"world"}"#),
            (#"[1,2,3]"#, 200, #"[1,2,3]"#),
            (#""just text""#, 200, #""just text""#),
            ("42", 200, "42"),
            ("null", 200, "null"),
            (#"{"statusCode":"two hundred"}"#, 502, ""),
            (#"{"statusCode":null}"#, 502, ""),
            ("not json", 502, ""),
            (#"{"statusCode":200"#, 502, ""),
        ])
    func functionOutput(output: String, status: Int, body: String) throws {
        let answer = APIGateway.functionResult(Array(output.utf8))
        #expect(answer.statusCode == status)
        if status == 502 {
            let envelope = try JSONDecoder().decode(ErrorEnvelope.self, from: Data(answer.body.utf8))
            #expect(envelope.error == "BadGateway")
        } else {
            #expect(answer.body == body)
        }
        if status == 200 { #expect(answer.headers["content-type"] == "application/json") }
    }

    @Test("requestContext.time is API Gateway's access-log time in UTC")
    func accessLogTime() {
        #expect(APIGateway.accessLogTime(Date(timeIntervalSince1970: 0)) == "01/Jan/1970:00:00:00 +0000")
        #expect(APIGateway.accessLogTime(Date(timeIntervalSince1970: 951_782_400.5)) == "29/Feb/2000:00:00:00 +0000")
        #expect(
            APIGateway.accessLogTime(Date(timeIntervalSince1970: 1_764_582_734.999)) == "01/Dec/2025:09:52:14 +0000")
        #expect(APIGateway.accessLogTime(Date(timeIntervalSince1970: 4_102_444_799)) == "31/Dec/2099:23:59:59 +0000")
    }
}
