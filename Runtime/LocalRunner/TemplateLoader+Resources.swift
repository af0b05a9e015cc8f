/// An `AWS::IoT::TopicRule` as read, before its actions are linked to the functions and queues they name.
struct TopicRuleResource {
    /// Where one action of the rule sends the SELECT result.
    enum Action: Equatable {
        case function(String)
        case queue(String, base64: Bool)
    }

    var logicalId: String
    var rule: TopicRule
    var actions: [Action]
    var errorAction: Action?
}

extension TemplateLoader {
    static let queueProperties: Set<String> = [
        "VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "RedrivePolicy", "QueueName",
        "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "Tags", "MaximumMessageSize",
        "ReceiveMessageWaitTimeSeconds", "RedriveAllowPolicy",
    ]
    static let topicRulePayloadProperties: Set<String> = [
        "Sql", "AwsIotSqlVersion", "RuleDisabled", "Actions", "ErrorAction", "Description",
    ]
    static let sqsEventProperties: Set<String> = [
        "Queue", "BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "Enabled", "ScalingConfig",
        "KmsKeyArn", "MetricsConfig",
    ]

    /// An `AWS::SQS::Queue` (standard queues only: an IoT rule's SQS action cannot send to a FIFO queue).
    static func queue(
        _ id: String, _ properties: TemplateValue?, context: Resolution
    ) throws(LocalRunnerError) -> QueueDefinition {
        let at = "queue \(id)"
        let props = try mapping(properties, at: at)
        for key in props.keys where !queueProperties.contains(key) {
            throw LocalRunnerError(.template, "\(at): property \(key) is not supported by evcsm-local")
        }
        var queue = QueueDefinition(logicalId: id)
        queue.visibilityTimeout =
            try integer(props["VisibilityTimeout"], name: "VisibilityTimeout", in: 0...43_200, at: at, context)
            ?? queue.visibilityTimeout
        queue.messageRetentionPeriod =
            try integer(
                props["MessageRetentionPeriod"], name: "MessageRetentionPeriod", in: 60...1_209_600, at: at, context)
            ?? queue.messageRetentionPeriod
        queue.delaySeconds =
            try integer(props["DelaySeconds"], name: "DelaySeconds", in: 0...900, at: at, context) ?? 0
        if let redrive = props["RedrivePolicy"] {
            guard case .map(let policy) = redrive,
                let target = reference(policy["deadLetterTargetArn"], attribute: "Arn")
            else {
                throw LocalRunnerError(
                    .template, "\(at): RedrivePolicy needs deadLetterTargetArn: !GetAtt <queue>.Arn and maxReceiveCount"
                )
            }
            queue.deadLetterQueue = target
            queue.maxReceiveCount = try integer(
                policy["maxReceiveCount"], name: "RedrivePolicy.maxReceiveCount", in: 1...1000, at: at, context)
            guard queue.maxReceiveCount != nil else {
                throw LocalRunnerError(.template, "\(at): RedrivePolicy without maxReceiveCount")
            }
        }
        return queue
    }

    /// An `SQS` function event: the event source mapping's settings, checked as Lambda checks them.
    static func queueEvent(
        _ props: [String: TemplateValue], at: String, context: Resolution
    ) throws(LocalRunnerError) -> QueueEventSource {
        guard let queue = reference(props["Queue"], attribute: "Arn") else {
            throw LocalRunnerError(
                .template,
                "\(at): event type SQS needs Queue: !GetAtt <queue>.Arn of an AWS::SQS::Queue in this template")
        }
        for key in props.keys where !sqsEventProperties.contains(key) {
            throw LocalRunnerError(.template, "\(at): SQS property \(key) is not supported by evcsm-local")
        }
        var source = QueueEventSource(queue: queue)
        source.batchSize = try integer(props["BatchSize"], name: "BatchSize", in: 1...10_000, at: at, context) ?? 10
        source.maximumBatchingWindowInSeconds =
            try integer(
                props["MaximumBatchingWindowInSeconds"], name: "MaximumBatchingWindowInSeconds", in: 0...300, at: at,
                context) ?? 0
        if source.batchSize > 10, source.maximumBatchingWindowInSeconds < 1 {
            throw LocalRunnerError(
                .template, "\(at): a BatchSize above 10 needs MaximumBatchingWindowInSeconds of at least 1")
        }
        if let types = props["FunctionResponseTypes"] {
            guard case .list(let items) = types else {
                throw LocalRunnerError(.template, "\(at): FunctionResponseTypes must be a list")
            }
            for item in items {
                guard let name = try context.resolve(item), name == "ReportBatchItemFailures" else {
                    throw LocalRunnerError(
                        .template, "\(at): FunctionResponseTypes may only hold ReportBatchItemFailures")
                }
                source.reportBatchItemFailures = true
            }
        }
        if let enabled = try context.resolve(props["Enabled"]), enabled.lowercased() == "false" {
            throw LocalRunnerError(.template, "\(at): Enabled: false is not supported (remove the event instead)")
        }
        if case .map(let scaling)? = props["ScalingConfig"] {
            source.maximumConcurrency = try integer(
                scaling["MaximumConcurrency"], name: "ScalingConfig.MaximumConcurrency", in: 2...1000, at: at, context)
        }
        return source
    }

    /// An `AWS::IoT::TopicRule`; nil when `RuleDisabled` is true.
    static func topicRule(
        _ id: String, _ properties: TemplateValue?, context: Resolution
    ) throws(LocalRunnerError) -> TopicRuleResource? {
        let at = "topic rule \(id)"
        let props = try mapping(properties, at: at)
        let payload = try mapping(props["TopicRulePayload"], at: "\(at): TopicRulePayload")
        for key in payload.keys where !topicRulePayloadProperties.contains(key) {
            throw LocalRunnerError(.template, "\(at): TopicRulePayload property \(key) is not supported by evcsm-local")
        }
        if try context.resolve(payload["RuleDisabled"])?.lowercased() == "true" { return nil }
        guard let sql = try context.resolve(payload["Sql"]) else {
            throw LocalRunnerError(.template, "\(at): TopicRulePayload has no Sql")
        }
        let rule: TopicRule
        do throws(LocalRunnerError) {
            rule = try parseRuleSQL(sql)
        } catch {
            throw LocalRunnerError(.template, "\(at): \(error.message)")
        }
        guard case .list(let items)? = payload["Actions"], !items.isEmpty else {
            throw LocalRunnerError(.template, "\(at): TopicRulePayload needs a list of Actions")
        }
        var actions: [TopicRuleResource.Action] = []
        for item in items { actions.append(try action(item, at: "\(at): action", context: context)) }
        var errorAction: TopicRuleResource.Action?
        if let value = payload["ErrorAction"] {
            errorAction = try action(value, at: "\(at): ErrorAction", context: context)
        }
        return TopicRuleResource(logicalId: id, rule: rule, actions: actions, errorAction: errorAction)
    }

    static func action(
        _ value: TemplateValue, at: String, context: Resolution
    ) throws(LocalRunnerError) -> TopicRuleResource.Action {
        // (A `guard case .map(let pairs) = value` here trips a "circular reference" in the Swift 6.3 compiler.)
        let pairs = try mapping(value, at: at)
        guard pairs.count == 1, let (kind, body) = pairs.first.map({ ($0.key, $0.value) }) else {
            throw LocalRunnerError(.template, "\(at) must be a mapping with one action")
        }
        switch kind {
        case "Lambda":
            guard let target = reference(body["FunctionArn"], attribute: "Arn") else {
                throw LocalRunnerError(.template, "\(at): Lambda needs FunctionArn: !GetAtt <function>.Arn")
            }
            return .function(target)
        case "Sqs":
            guard let url = body["QueueUrl"], case .intrinsic(let name, let argument) = url, name == "Ref",
                let target = argument.scalarText
            else {
                throw LocalRunnerError(.template, "\(at): Sqs needs QueueUrl: !Ref <queue>")
            }
            let base64 = try context.resolve(body["UseBase64"])?.lowercased() == "true"
            return .queue(target, base64: base64)
        default:
            throw LocalRunnerError(.template, "\(at): \(kind) is not supported by evcsm-local (Lambda and Sqs are)")
        }
    }

    /// Attaches every rule action to the function it reaches (directly, or through the queue that function reads)
    /// and checks that every reference names a resource of the right kind, as CloudFormation and Lambda would.
    static func link(
        functions: [FunctionDefinition], queues: [QueueDefinition], rules: [TopicRuleResource]
    ) throws(LocalRunnerError) -> TemplateModel {
        var functions = functions
        let queueIDs = Set(queues.map(\.logicalId))
        var consumers: [String: Int] = [:]
        for (index, function) in functions.enumerated() {
            for source in function.queueSources {
                guard let queue = queues.first(where: { $0.logicalId == source.queue }) else {
                    throw LocalRunnerError(
                        .template, "function \(function.logicalId): SQS Queue \(source.queue) is not an AWS::SQS::Queue"
                    )
                }
                if let other = consumers[source.queue] {
                    throw LocalRunnerError(
                        .template,
                        "queue \(source.queue) is read by \(functions[other].logicalId) and \(function.logicalId); "
                            + "evcsm-local delivers a queue to one function")
                }
                guard queue.visibilityTimeout >= function.timeout else {
                    throw LocalRunnerError(
                        .template,
                        "queue \(queue.logicalId): VisibilityTimeout \(queue.visibilityTimeout) s is less than the "
                            + "Timeout of \(function.logicalId) (\(function.timeout) s)")
                }
                consumers[source.queue] = index
            }
        }
        for queue in queues {
            if let target = queue.deadLetterQueue, !queueIDs.contains(target) {
                throw LocalRunnerError(
                    .template, "queue \(queue.logicalId): dead-letter queue \(target) is not a queue")
            }
        }
        func check(_ action: TopicRuleResource.Action, of rule: String) throws(LocalRunnerError) -> Int {
            switch action {
            case .function(let name):
                guard let index = functions.firstIndex(where: { $0.logicalId == name }) else {
                    throw LocalRunnerError(.template, "topic rule \(rule): Lambda action names no function \(name)")
                }
                return index
            case .queue(let name, _):
                guard queueIDs.contains(name) else {
                    throw LocalRunnerError(.template, "topic rule \(rule): Sqs action names no queue \(name)")
                }
                guard let index = consumers[name] else {
                    throw LocalRunnerError(
                        .template, "topic rule \(rule): queue \(name) has no function reading it (an SQS event)")
                }
                return index
            }
        }
        for resource in rules {
            // The error action runs when an action fails; locally that is the dead-letter file, so it is only checked.
            if case .queue(let name, _)? = resource.errorAction, !queueIDs.contains(name) {
                throw LocalRunnerError(
                    .template, "topic rule \(resource.logicalId): ErrorAction names no queue \(name)")
            }
            if case .function(let name)? = resource.errorAction, !functions.contains(where: { $0.logicalId == name }) {
                throw LocalRunnerError(
                    .template, "topic rule \(resource.logicalId): ErrorAction names no function \(name)")
            }
            for action in resource.actions {
                let index = try check(action, of: resource.logicalId)
                var rule = resource.rule
                if case .queue(let name, let base64) = action {
                    rule.queue = name
                    rule.base64Body = base64
                }
                functions[index].add(rule)
            }
        }
        return TemplateModel(functions: functions, queues: queues)
    }

    /// The logical id in `!GetAtt <id>.<attribute>` (either spelling), or nil.
    static func reference(_ value: TemplateValue?, attribute: String) -> String? {
        guard case .intrinsic(let name, let argument)? = value, name == "Fn::GetAtt" else { return nil }
        switch argument {
        case .list(let parts) where parts.count == 2:
            guard let id = parts[0].scalarText, parts[1].scalarText == attribute else { return nil }
            return id
        case .scalar(let text):
            let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
            return parts.count == 2 && parts[1] == attribute ? parts[0] : nil
        default:
            return nil
        }
    }

    static func mapping(_ value: TemplateValue?, at: String) throws(LocalRunnerError) -> [String: TemplateValue] {
        guard let value else { return [:] }
        if case .map(let pairs) = value { return Dictionary(pairs) }
        if case .null = value { return [:] }
        throw LocalRunnerError(.template, "\(at) must be a mapping")
    }

    static func integer(
        _ value: TemplateValue?, name: String, in range: ClosedRange<Int>, at: String, _ context: Resolution
    ) throws(LocalRunnerError) -> Int? {
        guard let value else { return nil }
        guard let text = try context.resolve(value), let number = Int(text), range.contains(number) else {
            throw LocalRunnerError(
                .template, "\(at): \(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
