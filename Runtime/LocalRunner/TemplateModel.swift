/// The runner's view of template.yaml: what it needs to emulate API Gateway, Lambda and AWS IoT.
public struct TemplateModel: Sendable, Equatable, Codable {
    public var functions: [FunctionDefinition]

    public init(functions: [FunctionDefinition]) {
        self.functions = functions
    }

    /// The function with this logical id.
    public func function(named logicalId: String) -> FunctionDefinition? {
        functions.first { $0.logicalId == logicalId }
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
    /// IoT rule topic filters, in template order.
    public var topics: [String]
    /// The IoT rules behind `topics` (same order).
    public var topicRules: [TopicRule]
    /// Environment variables after Globals merge and `!Ref` resolution.
    public var environment: [String: String]
    /// Timeout in seconds (SAM default 3).
    public var timeout: Int
    /// Memory in MB (SAM default 128).
    public var memorySize: Int

    public init(
        logicalId: String, routes: [RouteDefinition] = [], topicRules: [TopicRule] = [],
        environment: [String: String] = [:], timeout: Int = 3, memorySize: Int = 128
    ) {
        self.logicalId = logicalId
        self.routes = routes
        self.topicRules = topicRules
        self.topics = topicRules.map(\.filter)
        self.environment = environment
        self.timeout = timeout
        self.memorySize = memorySize
    }

    enum CodingKeys: String, CodingKey { case logicalId, routes, topics, environment, timeout, memorySize }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        logicalId = try c.decode(String.self, forKey: .logicalId)
        routes = try c.decode([RouteDefinition].self, forKey: .routes)
        topics = try c.decode([String].self, forKey: .topics)
        topicRules = topics.map { TopicRule(filter: $0, select: TopicRule.iotRuleEnvelope) }
        environment = try c.decode([String: String].self, forKey: .environment)
        timeout = try c.decode(Int.self, forKey: .timeout)
        memorySize = try c.decode(Int.self, forKey: .memorySize)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(logicalId, forKey: .logicalId)
        try c.encode(routes, forKey: .routes)
        try c.encode(topics, forKey: .topics)
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

    public init(filter: String, select: [SelectItem]) {
        self.filter = filter
        self.select = select
    }
}
