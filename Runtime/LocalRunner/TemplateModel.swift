/// The runner's view of template.yaml: what it needs to emulate API Gateway, Lambda, AWS IoT and SQS.
public struct TemplateModel: Sendable, Equatable, Codable {
    public var functions: [FunctionDefinition]
    /// The `AWS::SQS::Queue` resources.
    public var queues: [QueueDefinition]
    /// Route keys (`GET /api/ChargingSessionAPI/status`) the HTTP API's JWT authorizer guards: the routes whose
    /// `DefinitionBody` operation has a `security` requirement once the template's conditions are resolved.
    public var protectedRoutes: Set<String>
    /// The `AWS::ApiGatewayV2::Api` WebSocket APIs (the OCPP endpoint).
    public var webSocketAPIs: [WebSocketAPIDefinition]

    public init(
        functions: [FunctionDefinition], queues: [QueueDefinition] = [], protectedRoutes: Set<String> = [],
        webSocketAPIs: [WebSocketAPIDefinition] = []
    ) {
        self.functions = functions
        self.queues = queues
        self.protectedRoutes = protectedRoutes
        self.webSocketAPIs = webSocketAPIs
    }

    /// The queue with this logical id.
    public func queue(named logicalId: String) -> QueueDefinition? {
        queues.first { $0.logicalId == logicalId }
    }

    enum CodingKeys: String, CodingKey { case functions, queues, protectedRoutes, webSocketAPIs }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        functions = try c.decode([FunctionDefinition].self, forKey: .functions)
        queues = try c.decodeIfPresent([QueueDefinition].self, forKey: .queues) ?? []
        protectedRoutes = Set(try c.decodeIfPresent([String].self, forKey: .protectedRoutes) ?? [])
        webSocketAPIs = try c.decodeIfPresent([WebSocketAPIDefinition].self, forKey: .webSocketAPIs) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(functions, forKey: .functions)
        try c.encode(queues, forKey: .queues)
        try c.encode(protectedRoutes.sorted(), forKey: .protectedRoutes)
        try c.encode(webSocketAPIs, forKey: .webSocketAPIs)
    }

    /// Whether the JWT authorizer guards `route`.
    public func isProtected(_ route: RouteDefinition) -> Bool { protectedRoutes.contains(route.routeKey) }

    /// The function with this logical id.
    public func function(named logicalId: String) -> FunctionDefinition? {
        functions.first { $0.logicalId == logicalId }
    }

    /// The same template with `overrides` set in every function's environment (`--function-env`).
    public func overridingEnvironment(_ overrides: [String: String]) -> TemplateModel {
        var model = self
        for index in model.functions.indices { model.functions[index].environment.merge(overrides) { _, new in new } }
        return model
    }

    /// Every HttpApi route of every function.
    public var routes: [(function: String, route: RouteDefinition)] {
        functions.flatMap { f in f.routes.map { (f.logicalId, $0) } }
    }
}

/// One `AWS::Serverless::Function`.
public struct FunctionDefinition: Sendable, Equatable, Codable {
    /// Logical id, which is also the binary name in the functions directory.
    public var logicalId: String
    public var routes: [RouteDefinition]
    /// Topic filters of the IoT rules whose messages reach this function (directly or through a queue), in
    /// template order.
    public var topics: [String]
    /// The IoT rules behind `topics` (same order).
    public var topicRules: [TopicRule]
    /// SQS event source mappings (`SQS` events): the queues this function reads in batches.
    public var queueSources: [QueueEventSource]
    /// EventBridge schedules (`Schedule` events) that invoke this function.
    public var schedules: [ScheduleDefinition]
    /// Environment variables after Globals merge and `!Ref` resolution.
    public var environment: [String: String]
    /// Timeout in seconds (SAM default 3).
    public var timeout: Int
    /// Memory in MB (SAM default 128).
    public var memorySize: Int

    public init(
        logicalId: String, routes: [RouteDefinition] = [], topicRules: [TopicRule] = [],
        queueSources: [QueueEventSource] = [], schedules: [ScheduleDefinition] = [],
        environment: [String: String] = [:],
        timeout: Int = 3, memorySize: Int = 128
    ) {
        self.logicalId = logicalId
        self.routes = routes
        self.topicRules = topicRules
        self.topics = topicRules.map(\.filter)
        self.queueSources = queueSources
        self.schedules = schedules
        self.environment = environment
        self.timeout = timeout
        self.memorySize = memorySize
    }

    /// Adds an IoT rule that reaches this function (a rule resource's action, linked after all resources are read).
    mutating func add(_ rule: TopicRule) {
        topicRules.append(rule)
        topics.append(rule.filter)
    }

    enum CodingKeys: String, CodingKey {
        case logicalId, routes, topics, queues, schedules, environment, timeout, memorySize
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        logicalId = try c.decode(String.self, forKey: .logicalId)
        routes = try c.decode([RouteDefinition].self, forKey: .routes)
        topics = try c.decode([String].self, forKey: .topics)
        topicRules = topics.map { TopicRule(filter: $0, select: TopicRule.iotRuleEnvelope) }
        queueSources = try c.decodeIfPresent([QueueEventSource].self, forKey: .queues) ?? []
        schedules = try c.decodeIfPresent([ScheduleDefinition].self, forKey: .schedules) ?? []
        environment = try c.decode([String: String].self, forKey: .environment)
        timeout = try c.decode(Int.self, forKey: .timeout)
        memorySize = try c.decode(Int.self, forKey: .memorySize)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(logicalId, forKey: .logicalId)
        try c.encode(routes, forKey: .routes)
        try c.encode(topics, forKey: .topics)
        try c.encode(queueSources, forKey: .queues)
        try c.encode(schedules, forKey: .schedules)
        try c.encode(environment, forKey: .environment)
        try c.encode(timeout, forKey: .timeout)
        try c.encode(memorySize, forKey: .memorySize)
    }
}

/// An HttpApi event: method (upper-case, or `ANY`) and path template such as `/sessions/{sessionId}`.
public struct RouteDefinition: Sendable, Equatable, Hashable, Codable {
    public var method: String
    public var path: String

    public init(method: String, path: String) {
        self.method = method.uppercased()
        self.path = path
    }

    /// API Gateway's route key, e.g. `GET /api/ChargingSessionAPI/status`.
    public var routeKey: String { "\(method) \(path)" }
}

/// An IoTRule event: the topic filter and what the rule's SELECT puts into the event.
public struct TopicRule: Sendable, Equatable, Codable {
    /// One item of the rule's SELECT list.
    public enum SelectItem: Sendable, Equatable, Codable {
        /// `*`: the payload's JSON object fields.
        case payload
        /// `encode(*, 'base64') AS name`.
        case payloadBase64(String)
        /// `topic() AS name`.
        case topic(String)
        /// `timestamp() AS name`.
        case timestamp(String)
    }

    /// The SELECT list evcsm's rules use: `encode(*, 'base64') AS data, topic() AS topic, timestamp() AS ts`.
    public static let iotRuleEnvelope: [SelectItem] = [.payloadBase64("data"), .topic("topic"), .timestamp("ts")]

    public var filter: String
    public var select: [SelectItem]
    /// The queue the rule's SQS action sends the SELECT result to (its consumer's event source mapping invokes
    /// the function in batches); nil for a Lambda action, which invokes the function once per message.
    public var queue: String?
    /// The SQS action's `UseBase64`: the message body is the base64 of the SELECT result.
    public var base64Body: Bool

    public init(filter: String, select: [SelectItem], queue: String? = nil, base64Body: Bool = false) {
        self.filter = filter
        self.select = select
        self.queue = queue
        self.base64Body = base64Body
    }
}

/// An `AWS::SQS::Queue` (standard queue): what the runner's in-memory queue needs.
public struct QueueDefinition: Sendable, Equatable, Codable {
    public var logicalId: String
    /// Seconds a received message stays hidden before it is delivered again (SQS default 30).
    public var visibilityTimeout: Int
    /// Seconds a message is kept before it expires (SQS default 345,600: 4 days).
    public var messageRetentionPeriod: Int
    /// Seconds a new message waits before its first delivery (SQS default 0).
    public var delaySeconds: Int
    /// `RedrivePolicy.deadLetterTargetArn`: the queue failed messages move to (the runner's dead-letter file).
    public var deadLetterQueue: String?
    /// `RedrivePolicy.maxReceiveCount`: deliveries before a message moves to the dead-letter queue.
    public var maxReceiveCount: Int?

    public init(
        logicalId: String, visibilityTimeout: Int = 30, messageRetentionPeriod: Int = 345_600, delaySeconds: Int = 0,
        deadLetterQueue: String? = nil, maxReceiveCount: Int? = nil
    ) {
        self.logicalId = logicalId
        self.visibilityTimeout = visibilityTimeout
        self.messageRetentionPeriod = messageRetentionPeriod
        self.delaySeconds = delaySeconds
        self.deadLetterQueue = deadLetterQueue
        self.maxReceiveCount = maxReceiveCount
    }
}

/// An `SQS` event of a function: a Lambda event source mapping that polls a queue and invokes the function with
/// batches (``QueueBridge`` emulates it).
public struct QueueEventSource: Sendable, Equatable, Codable {
    /// The queue's logical id.
    public var queue: String
    /// At most this many messages per invocation (SQS event default 10).
    public var batchSize: Int
    /// How long to gather messages before invoking with fewer than `batchSize` (default 0: at once).
    public var maximumBatchingWindowInSeconds: Int
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`: the function answers which messages to retry.
    public var reportBatchItemFailures: Bool
    /// `ScalingConfig.MaximumConcurrency`: at most this many batches in flight (else the function's concurrency).
    public var maximumConcurrency: Int?

    public init(
        queue: String, batchSize: Int = 10, maximumBatchingWindowInSeconds: Int = 0,
        reportBatchItemFailures: Bool = false, maximumConcurrency: Int? = nil
    ) {
        self.queue = queue
        self.batchSize = batchSize
        self.maximumBatchingWindowInSeconds = maximumBatchingWindowInSeconds
        self.reportBatchItemFailures = reportBatchItemFailures
        self.maximumConcurrency = maximumConcurrency
    }
}

/// A `Schedule` event of a function: an EventBridge rule that invokes it with a scheduled event
/// (``ScheduleService`` emulates it).
public struct ScheduleDefinition: Sendable, Equatable, Codable {
    /// The rule's name: `Name`, else `<FunctionLogicalId><EventKey>` as SAM names it (`ExpireSessionsEvery`).
    public var name: String
    /// The expression as written: `rate(5 minutes)` or `cron(0/5 * * * ? *)`.
    public var expression: String
    /// The period of a `rate()` expression in seconds; nil for `cron()`, which evcsm-local does not run by itself.
    public var rateSeconds: Int?
    /// `Enabled` / `State`: a disabled rule never fires (it can still be triggered by hand).
    public var enabled: Bool

    public init(name: String, expression: String, rateSeconds: Int?, enabled: Bool = true) {
        self.name = name
        self.expression = expression
        self.rateSeconds = rateSeconds
        self.enabled = enabled
    }
}
