import Foundation
import Testing

@testable import LocalRunner

@Suite("Template loading")
struct TemplateLoaderTests {
    let loader = TemplateLoader()

    @Test("the repo's template.yaml: sixteen functions, nine routes, two IoT rules, a schedule, env and sizes")
    func repositoryTemplate() throws {
        let model = try loader.load(path: "\(TestEnvironment.root)/template.yaml")
        #expect(
            Set(model.functions.map(\.logicalId))
                == [
                    "GetStatus", "StartSession", "StopSession", "ListSessions", "GetSession", "ChargingUpdates",
                    "MeterValues", "ExpireSessions", "RegisterCharger", "MqttAuthorizer", "OcppConnect",
                    "OcppDisconnect", "OcppMessage", "PutIdTag", "ListChargers", "SendChargerCommand",
                ])
        #expect(
            Set(model.routes.map(\.route.routeKey)) == [
                "GET /api/ChargingSessionAPI/status", "POST /api/ChargingSessionAPI/start",
                "POST /api/ChargingSessionAPI/stop", "GET /api/ChargingSessionAPI/sessions",
                "GET /api/ChargingSessionAPI/sessions/{sessionId}", "POST /api/ChargingSessionAPI/chargers",
                "GET /api/ChargingSessionAPI/chargers", "PUT /api/ChargingSessionAPI/idtags/{idTag}",
                "POST /api/ChargingSessionAPI/chargers/{chargePointId}/commands",
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
