import Foundation
import Testing

@testable import LocalRunner

@Suite("Template loading")
struct TemplateLoaderTests {
    let loader = TemplateLoader()

    @Test("the repo's template.yaml: seven functions, five routes, two IoT rules, env and sizes")
    func repositoryTemplate() throws {
        let model = try loader.load(path: "\(TestEnvironment.root)/template.yaml")
        #expect(
            Set(model.functions.map(\.logicalId))
                == [
                    "GetStatus", "StartSession", "StopSession", "ListSessions", "GetSession", "ChargingUpdates",
                    "MeterValues",
                ])
        #expect(
            Set(model.routes.map(\.route.routeKey)) == [
                "GET /api/ChargingSessionAPI/status", "POST /api/ChargingSessionAPI/start",
                "POST /api/ChargingSessionAPI/stop", "GET /api/ChargingSessionAPI/sessions",
                "GET /api/ChargingSessionAPI/sessions/{sessionId}",
            ])
        #expect(model.function(named: "ChargingUpdates")?.topics == ["charging/updates"])
        #expect(model.function(named: "MeterValues")?.topics == ["chargers/+/meter"])
        #expect(model.function(named: "MeterValues")?.topicRules.first?.select == TopicRule.iotRuleEnvelope)
        let start = try #require(model.function(named: "StartSession"))
        #expect(start.environment["TARIFF_PER_KWH"] == "0.50")
        #expect(start.environment["DEFAULT_MAX_POWER"] == "11")
    }

    @Test("the repo's template: meter readings through MeterReadingsQueue in batches, charging/updates direct")
    func repositoryQueues() throws {
        let model = try loader.load(path: "\(TestEnvironment.root)/template.yaml")
        let meter = try #require(model.function(named: "MeterValues"))
        #expect(
            meter.queueSources == [
                QueueEventSource(
                    queue: "MeterReadingsQueue", batchSize: 100, maximumBatchingWindowInSeconds: 1,
                    reportBatchItemFailures: true)
            ])
        #expect(meter.topicRules.map(\.queue) == ["MeterReadingsQueue"])
        let queue = try #require(model.queue(named: "MeterReadingsQueue"))
        #expect(queue.deadLetterQueue == "MeterReadingsDeadLetterQueue")
        #expect(queue.maxReceiveCount == 3)
        #expect(queue.visibilityTimeout >= meter.timeout)
        let updates = try #require(model.function(named: "ChargingUpdates"))
        #expect(updates.topicRules.map(\.queue) == [nil])
        #expect(updates.queueSources.isEmpty)
        #expect(model.queue(named: "ChargingUpdatesDeadLetterQueue") != nil)
    }

    @Test("!Ref and Ref resolve to parameter defaults and pseudo parameters; !Sub and Globals merge")
    func references() throws {
        let model = try loader.parse(
            yaml: """
                Parameters:
                  Rate: {Type: String, Default: "0.42"}
                  Name: {Type: String, Default: evcsm}
                Globals:
                  Function:
                    Timeout: 7
                    MemorySize: 256
                    Environment:
                      Variables:
                        RATE: !Ref Rate
                        SHARED: global
                Resources:
                  Fn:
                    Type: AWS::Serverless::Function
                    Properties:
                      Timeout: 9
                      Environment:
                        Variables:
                          SHARED: own
                          LONG: {Ref: Name}
                          SUB: !Sub "${Name}-${AWS::Region}"
                          JOINED: !Join ["/", [a, !Ref Name]]
                      Events:
                        E: {Type: HttpApi, Properties: {Method: get, Path: "/x/{id}"}}
                """)
        let fn = try #require(model.function(named: "Fn"))
        #expect(fn.timeout == 9)
        #expect(fn.memorySize == 256)
        #expect(
            fn.environment == [
                "RATE": "0.42", "SHARED": "own", "LONG": "evcsm", "SUB": "evcsm-us-east-1", "JOINED": "a/evcsm",
            ])
        #expect(fn.routes == [RouteDefinition(method: "GET", path: "/x/{id}")])
    }

    @Test(
        "unsupported things are startup errors naming the resource",
        arguments: [
            ("Bad:\n    Type: AWS::DynamoDB::Table", "resource Bad"),
            (
                "Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        Q: {Type: SQS, Properties: {Queue: x}}",
                "function Fn: event Q: event type SQS"
            ),
            (
                "Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Environment:\n        Variables:\n          X: !GetAtt Other.Arn",
                "function Fn: environment variable X"
            ),
            (
                "Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Environment:\n        Variables:\n          X: !Ref Missing",
                "!Ref Missing"
            ),
            (
                "Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12",
                "Runtime python3.12"
            ),
            ("Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Layers: [x]", "property Layers"),
            (
                "Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        R: {Type: IoTRule, Properties: {Sql: \"SELECT * FROM 'a' WHERE x > 1\"}}",
                "function Fn: event R: IoT rule SQL clause not supported"
            ),
        ])
    func unsupported(resources: String, expected: String) {
        #expect {
            try loader.parse(yaml: "Resources:\n  \(resources)\n")
        } throws: { error in
            guard let error = error as? LocalRunnerError else { return false }
            return error.code == .template && error.message.contains(expected)
        }
    }

    @Test("runner-provided variables may use intrinsics the runner can't resolve")
    func runnerProvided() throws {
        let model = try loader.parse(
            yaml: """
                Resources:
                  Fn:
                    Type: AWS::Serverless::Function
                    Properties:
                      Environment:
                        Variables:
                          IOT_DATA_ENDPOINT: !GetAtt Endpoint.Address
                """)
        #expect(model.functions[0].environment["IOT_DATA_ENDPOINT"] == TemplateLoader.runnerProvidedPlaceholder)
        #expect(model.functions[0].timeout == 3)
        #expect(model.functions[0].memorySize == 128)
    }

    @Test("IoT rule SQL: the base64 envelope and SELECT *")
    func ruleSQL() throws {
        let envelope = try TemplateLoader.parseRuleSQL(
            "SELECT encode(*, 'base64') AS data, topic() AS topic, timestamp() AS ts FROM 'chargers/+/meter'")
        #expect(envelope == TopicRule(filter: "chargers/+/meter", select: TopicRule.iotRuleEnvelope))
        let star = try TemplateLoader.parseRuleSQL("select *, topic() as t from 'a/#'")
        #expect(star == TopicRule(filter: "a/#", select: [.payload, .topic("t")]))
        #expect(throws: LocalRunnerError.self) { try TemplateLoader.parseRuleSQL("SELECT * FROM 'a/#/b'") }
    }

    @Test("IoT rule events carry base64 data, topic and timestamp; SELECT * needs JSON")
    func ruleEvents() throws {
        let message = MQTTMessage(topic: "chargers/cp-1/meter", payload: Array("Charging".utf8), receivedAt: 42)
        let bytes = try #require(
            TopicBridge.event(for: message, rule: TopicRule(filter: "#", select: TopicRule.iotRuleEnvelope)))
        let event = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(event["data"] as? String == Data("Charging".utf8).base64EncodedString())
        #expect(event["topic"] as? String == "chargers/cp-1/meter")
        #expect(event["ts"] as? Int == 42)
        #expect(TopicBridge.event(for: message, rule: TopicRule(filter: "#", select: [.payload])) == nil)
    }

    static let queueTemplate = """
        Resources:
          Readings:
            Type: AWS::SQS::Queue
            Properties:
              VisibilityTimeout: 60
              MessageRetentionPeriod: 86400
              RedrivePolicy: {deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: 3}
          Dead:
            Type: AWS::SQS::Queue
          Role:
            Type: AWS::IAM::Role
          MeterRule:
            Type: AWS::IoT::TopicRule
            Properties:
              TopicRulePayload:
                AwsIotSqlVersion: "2016-03-23"
                Sql: "SELECT encode(*, 'base64') AS data, topic() AS topic, timestamp() AS ts FROM 'chargers/+/meter'"
                Actions:
                  - Sqs: {QueueUrl: !Ref Readings, RoleArn: !GetAtt Role.Arn, UseBase64: false}
                ErrorAction:
                  Sqs: {QueueUrl: !Ref Dead, RoleArn: !GetAtt Role.Arn}
          UpdatesRule:
            Type: AWS::IoT::TopicRule
            Properties:
              TopicRulePayload:
                Sql: "SELECT * FROM 'charging/updates'"
                Actions: [{Lambda: {FunctionArn: !GetAtt Updates.Arn}}]
          OffRule:
            Type: AWS::IoT::TopicRule
            Properties:
              TopicRulePayload:
                RuleDisabled: true
                Sql: "SELECT * FROM 'off'"
                Actions: [{Lambda: {FunctionArn: {"Fn::GetAtt": [Updates, Arn]}}}]
          Meter:
            Type: AWS::Serverless::Function
            Properties:
              Timeout: 10
              Events:
                Batches:
                  Type: SQS
                  Properties:
                    Queue: !GetAtt Readings.Arn
                    BatchSize: 100
                    MaximumBatchingWindowInSeconds: 1
                    FunctionResponseTypes: [ReportBatchItemFailures]
                    ScalingConfig: {MaximumConcurrency: 5}
          Updates:
            Type: AWS::Serverless::Function
        """

    @Test("SQS queues, IoT topic rules with Sqs and Lambda actions, and SQS events")
    func queuesAndRules() throws {
        let model = try loader.parse(yaml: Self.queueTemplate)
        #expect(
            model.queues == [
                QueueDefinition(
                    logicalId: "Readings", visibilityTimeout: 60, messageRetentionPeriod: 86400,
                    deadLetterQueue: "Dead",
                    maxReceiveCount: 3),
                QueueDefinition(logicalId: "Dead"),
            ])
        let meter = try #require(model.function(named: "Meter"))
        #expect(
            meter.queueSources == [
                QueueEventSource(
                    queue: "Readings", batchSize: 100, maximumBatchingWindowInSeconds: 1, reportBatchItemFailures: true,
                    maximumConcurrency: 5)
            ])
        #expect(meter.topics == ["chargers/+/meter"])
        #expect(
            meter.topicRules == [
                TopicRule(filter: "chargers/+/meter", select: TopicRule.iotRuleEnvelope, queue: "Readings")
            ])
        let updates = try #require(model.function(named: "Updates"))
        #expect(updates.topicRules == [TopicRule(filter: "charging/updates", select: [.payload])])
        #expect(updates.queueSources.isEmpty)

        let dump = try TemplateDump.json(model)
        #expect(dump.contains(#""maxReceiveCount" : 3"#))
        #expect(dump.contains(#""reportBatchItemFailures" : true"#))
        #expect(try JSONDecoder().decode(TemplateModel.self, from: Data(dump.utf8)).queues == model.queues)
    }

    @Test(
        "queue and topic rule mistakes are startup errors naming the resource",
        arguments: [
            ("Queue: !GetAtt Nowhere.Arn", "SQS Queue Nowhere is not an AWS::SQS::Queue"),
            ("Queue: !GetAtt Readings.Arn, BatchSize: 50", "BatchSize above 10 needs MaximumBatchingWindowInSeconds"),
            ("Queue: !GetAtt Readings.Arn, BatchSize: 0", "BatchSize must be an integer from 1 to 10000"),
            ("Queue: !GetAtt Readings.Arn, FilterCriteria: {}", "SQS property FilterCriteria is not supported"),
            ("Queue: !GetAtt Readings.Arn, FunctionResponseTypes: [Other]", "FunctionResponseTypes may only hold"),
        ])
    func queueEventErrors(properties: String, expected: String) {
        let yaml = """
            Resources:
              Readings: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 30}}
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  Events:
                    Q: {Type: SQS, Properties: {\(properties)}}
            """
        #expect {
            try loader.parse(yaml: yaml)
        } throws: { error in
            (error as? LocalRunnerError)?.message.contains(expected) == true
        }
    }

    @Test(
        "a rule must reach a function, a queue a reader, and the reader's Timeout fit the visibility timeout",
        arguments: [
            ("Actions: [{Sqs: {QueueUrl: !Ref Spare}}]", "queue Spare has no function reading it"),
            ("Actions: [{Sqs: {QueueUrl: !Ref Missing}}]", "Sqs action names no queue Missing"),
            ("Actions: [{Lambda: {FunctionArn: !GetAtt Ghost.Arn}}]", "Lambda action names no function Ghost"),
            ("Actions: [{Kinesis: {StreamName: s}}]", "Kinesis is not supported by evcsm-local"),
            ("Actions: []", "needs a list of Actions"),
            (
                "Actions: [{Sqs: {QueueUrl: !Ref Readings}}], ErrorAction: {Sqs: {QueueUrl: !Ref Nope}}",
                "ErrorAction names no queue Nope"
            ),
        ])
    func ruleErrors(payload: String, expected: String) {
        let yaml = """
            Resources:
              Readings: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 30}}
              Spare: {Type: AWS::SQS::Queue}
              Rule:
                Type: AWS::IoT::TopicRule
                Properties:
                  TopicRulePayload: {Sql: "SELECT * FROM 'a/b'", \(payload)}
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  Events:
                    Q: {Type: SQS, Properties: {Queue: !GetAtt Readings.Arn}}
            """
        #expect {
            try loader.parse(yaml: yaml)
        } throws: { error in
            (error as? LocalRunnerError)?.message.contains(expected) == true
        }
    }

    @Test("queue settings are checked as SQS and Lambda check them")
    func queueErrors() {
        let cases: [(String, String)] = [
            ("VisibilityTimeout: 5", "VisibilityTimeout 5 s is less than the Timeout of Fn (10 s)"),
            ("FifoQueue: true", "property FifoQueue is not supported"),
            ("VisibilityTimeout: 50000", "VisibilityTimeout must be an integer from 0 to 43200"),
            (
                "RedrivePolicy: {deadLetterTargetArn: !GetAtt Fn.Arn, maxReceiveCount: 3}",
                "dead-letter queue Fn is not a queue"
            ),
            (
                "RedrivePolicy: {deadLetterTargetArn: arn:aws:sqs:x, maxReceiveCount: 3}",
                "RedrivePolicy needs deadLetterTargetArn"
            ),
        ]
        for (properties, expected) in cases {
            let yaml = """
                Resources:
                  Readings: {Type: AWS::SQS::Queue, Properties: {\(properties)}}
                  Fn:
                    Type: AWS::Serverless::Function
                    Properties:
                      Timeout: 10
                      Events:
                        Q: {Type: SQS, Properties: {Queue: !GetAtt Readings.Arn}}
                """
            #expect(throws: LocalRunnerError.self, "\(properties)") { try loader.parse(yaml: yaml) }
            do {
                _ = try loader.parse(yaml: yaml)
            } catch {
                #expect(error.message.contains(expected), "\(properties): \(error.message)")
            }
        }
    }

    @Test("MQTT topic filters")
    func topicFilters() {
        #expect(TopicFilter.matches("chargers/+/meter", topic: "chargers/cp-1/meter"))
        #expect(!TopicFilter.matches("chargers/+/meter", topic: "chargers/cp-1/x/meter"))
        #expect(TopicFilter.matches("a/#", topic: "a/b/c"))
        #expect(TopicFilter.matches("a/#", topic: "a"))
        #expect(!TopicFilter.matches("charging/updates", topic: "session/updates"))
        #expect(!TopicFilter.isValid("a/#/b"))
        #expect(!TopicFilter.isValid("a+/b"))
    }

    @Test("the OpenAPI document lists exactly the template's routes")
    func openAPIMatchesTemplate() throws {
        let root = TestEnvironment.root
        let model = try loader.load(path: "\(root)/template.yaml")
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(root)/openapi/evcsm.openapi.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        var documented: Set<String> = []
        for (path, operations) in paths {
            for method in operations.keys where methods.contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        #expect(documented == Set(model.routes.map(\.route.routeKey)))
    }
}
