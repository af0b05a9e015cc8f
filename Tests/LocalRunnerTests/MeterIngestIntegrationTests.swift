import Foundation
import TestSupport
import Testing

/// Meter readings through the emulated IoT rule → SQS queue → event source mapping, with a real `evcsm-local`,
/// the real function binaries and mosquitto_pub.
@Suite("evcsm-local meter ingest (IoT rule → SQS → MeterValues)", .serialized)
struct MeterIngestIntegrationTests {
    static let api = "/api/ChargingSessionAPI"
    let mosquittoPub = "/usr/bin/mosquitto_pub"

    @Test("500 readings over 10 points, shuffled and partly repeated: each session ends at its last reading")
    func tenPoints() async throws {
        let runner = try await RunnerProcess()
        var sessions: [String] = []
        for point in 0..<10 {
            let reply = try await runner.request(
                "POST", "\(Self.api)/start",
                json: [
                    "userId": "u-\(point)", "vehicleId": "v-\(point)", "chargingPointId": "cp-ingest-\(point)",
                    "maxPower": 11, "targetCharge": 80,
                ])
            #expect(reply.status == 201, "start: \(reply.text)")
            sessions.append(try #require(reply.json["sessionId"] as? String))
        }
        // 50 readings per point (energy 2 Wh per seq: at most 100 Wh, which 11 kW may deliver right after the start,
        // docs/METER.md; far below the 22 kWh target), in a shuffled order, and the
        // first ten again at the end (as a charger that resends would): out of order and duplicates for the store.
        let dir = try TestEnvironment.temporaryDirectory()
        let simulator = try runner.mqttArguments(user: "simulator").joined(separator: " ")
        var generator = SystemRandomNumberGenerator()
        var published = 0
        for (point, session) in sessions.enumerated() {
            var order = Array(1...50).shuffled(using: &generator)
            order += order.prefix(10)
            published += order.count
            let lines = order.map { #"{"sessionId":"\#(session)","energyWh":\#($0 * 2),"seq":\#($0)}"# }
            try (lines.joined(separator: "\n") + "\n").write(
                toFile: "\(dir)/cp-\(point).txt", atomically: true, encoding: .utf8)
        }
        try await withThrowingTaskGroup(of: String.self) { group in
            for point in 0..<10 {
                group.addTask {
                    try await runTool(
                        "/bin/sh",
                        [
                            "-c",
                            "\(mosquittoPub) \(simulator) -q 1 -t chargers/cp-ingest-\(point)/meter -l "
                                + "< \(dir)/cp-\(point).txt",
                        ], timeout: 120)
                }
            }
            for try await output in group { #expect(output.isEmpty, "mosquitto_pub: \(output)") }
        }
        for session in sessions {
            try await eventually("session \(session) reaches its last reading (0.1 kWh)") {
                let reply = try await runner.request("GET", "\(Self.api)/sessions/\(session)")
                return (reply.json["energyConsumed"] as? NSNumber)?.doubleValue == 0.1
            }
        }
        let metrics = try await runner.request("GET", "/metrics").text
        #expect(metrics.contains(#"evcsm_mqtt_messages_in_total{topic="chargers/+/meter"} \#(published)"#))
        #expect(metrics.contains(#"evcsm_iot_dead_letters_total{function="MeterValues"} 0"#))
        #expect(!FileManager.default.fileExists(atPath: "\(runner.dataDirectory)/dead-letters.jsonl"))
        for session in sessions {
            let reply = try await runner.request("GET", "\(Self.api)/sessions/\(session)")
            #expect(reply.json["status"] as? String == "ACTIVE")
            #expect((reply.json["energyConsumed"] as? NSNumber)?.doubleValue == 0.1, "\(reply.text)")
            #expect((reply.json["rejectedReadings"] as? NSNumber)?.intValue == 0, "\(reply.text)")
        }
        #expect(try await runner.terminate() == 0)
    }

    static func queueTemplate(mode: String, extra: String = "") -> String {
        let resources = """
            Resources:
              Readings:
                Type: AWS::SQS::Queue
                Properties:
                  VisibilityTimeout: 5
                  RedrivePolicy: {deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: 2}
              Dead:
                Type: AWS::SQS::Queue
              Rule:
                Type: AWS::IoT::TopicRule
                Properties:
                  TopicRulePayload:
                    Sql: "SELECT encode(*, 'base64') AS data, topic() AS topic, timestamp() AS ts FROM 'test/queue'"
                    Actions: [{Sqs: {QueueUrl: !Ref Readings, UseBase64: false}}]
                    ErrorAction: {Sqs: {QueueUrl: !Ref Dead}}
              Reader:
                Type: AWS::Serverless::Function
                Properties:
                  Timeout: 5
                  Environment: {Variables: {MODE: \(mode)\(extra)}}
                  Events:
                    Batches:
                      Type: SQS
                      Properties:
                        Queue: !GetAtt Readings.Arn
                        BatchSize: 10
                        FunctionResponseTypes: [ReportBatchItemFailures]
            """
        return RunnerProcess.testerMetadata + resources
    }

    @Test("a queue function that keeps failing: each message is received maxReceiveCount times, then dead-lettered")
    func failingQueueFunction() async throws {
        let runner = try await RunnerProcess(scriptFunction: "Reader", template: Self.queueTemplate(mode: "fail"))
        _ = try await runTool(
            mosquittoPub, try runner.mqttArguments(user: "tester") + ["-q", "1", "-t", "test/queue", "-m", "boom"])
        let file = "\(runner.dataDirectory)/dead-letters.jsonl"
        try await eventually("a dead-letter line for the message") {
            ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").contains("\"test/queue\"")
        }
        let line = try String(contentsOfFile: file, encoding: .utf8)
        #expect(line.contains(#""attempts":2"#))
        #expect(line.contains(#""queue":"Readings""#))
        #expect(line.contains(#""messageId":""#))
        #expect(line.contains(Data("boom".utf8).base64EncodedString()))
        let metrics = try await runner.request("GET", "/metrics").text
        #expect(metrics.contains(#"evcsm_invocations_total{function="Reader",outcome="error"} 2"#))
        #expect(metrics.contains(#"evcsm_iot_retries_total{function="Reader"} 1"#))
        #expect(metrics.contains(#"evcsm_iot_dead_letters_total{function="Reader"} 1"#))
        #expect(try await runner.terminate() == 0)
    }

    @Test("the function gets an SQS event whose bodies are the rule's {data, topic, ts}")
    func eventReachesTheFunction() async throws {
        let record = "\(try TestEnvironment.temporaryDirectory())/events.jsonl"
        let runner = try await RunnerProcess(
            scriptFunction: "Reader", template: Self.queueTemplate(mode: "record", extra: ", RECORD_FILE: \(record)"))
        _ = try await runTool(
            mosquittoPub, try runner.mqttArguments(user: "tester") + ["-q", "1", "-t", "test/queue", "-m", "hello"])
        try await eventually("the function recorded an event") {
            !((try? String(contentsOfFile: record, encoding: .utf8)) ?? "").isEmpty
        }
        let line = try #require(try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").first)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let records = try #require(event["Records"] as? [[String: Any]])
        #expect(records.count == 1)
        #expect(records.first?["eventSource"] as? String == "aws:sqs")
        let body = try #require(records.first?["body"] as? String)
        let rule = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(rule["topic"] as? String == "test/queue")
        #expect(rule["data"] as? String == Data("hello".utf8).base64EncodedString())
        #expect(rule["ts"] is NSNumber)
        #expect(try await runner.terminate() == 0)
    }
}
