import Foundation
import Testing

@testable import LocalRunner

@Suite("Template loading: SQS queues and IoT topic rules")
struct TemplateQueueTests {
    let loader = TemplateLoader()

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
}
