import Essentials

/// The event an Amazon EventBridge schedule (a SAM `Schedule` event: `rate(...)` or `cron(...)`) delivers:
///
/// ```json
/// {"version": "0", "id": "…", "detail-type": "Scheduled Event", "source": "aws.events",
///  "account": "123456789012", "time": "2026-12-01T10:15:00Z", "region": "eu-central-1",
///  "resources": ["arn:aws:events:eu-central-1:123456789012:rule/…"], "detail": {}}
/// ```
///
/// Decoding needs `id` and `time`; every other field defaults to what EventBridge sends (or empty), and `detail`
/// (always `{}` for a schedule) is not kept.
public struct ScheduledEvent: Codable, Sendable, Equatable {
    /// The `detail-type` of every scheduled event.
    public static let scheduledDetailType = "Scheduled Event"
    /// The `source` of every scheduled event.
    public static let scheduledSource = "aws.events"

    /// `0`.
    public var version: String
    /// The event id (one per scheduled run).
    public var id: String
    /// `Scheduled Event`.
    public var detailType: String
    /// `aws.events`.
    public var source: String
    public var account: String
    /// When the run was scheduled, ISO-8601 UTC (`2026-12-01T10:15:00Z`).
    public var time: String
    public var region: String
    /// The ARN of the rule that fired.
    public var resources: [String]

    public init(
        version: String = "0", id: String, detailType: String = ScheduledEvent.scheduledDetailType,
        source: String = ScheduledEvent.scheduledSource, account: String = "", time: String, region: String = "",
        resources: [String] = []
    ) {
        self.version = version
        self.id = id
        self.detailType = detailType
        self.source = source
        self.account = account
        self.time = time
        self.region = region
        self.resources = resources
    }

    /// The rule that fired (the first of ``resources``), or nil.
    public var ruleARN: String? { resources.first }

    /// The schedule time in milliseconds since the epoch; nil when ``time`` is not ISO-8601.
    public var timeMilliseconds: Int64? { Timestamp.parseMilliseconds(time) }

    enum CodingKeys: String, CodingKey {
        case version, id, detailType = "detail-type", source, account, time, region, resources, detail
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        time = try c.decode(String.self, forKey: .time)
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? "0"
        detailType = try c.decodeIfPresent(String.self, forKey: .detailType) ?? Self.scheduledDetailType
        source = try c.decodeIfPresent(String.self, forKey: .source) ?? Self.scheduledSource
        account = try c.decodeIfPresent(String.self, forKey: .account) ?? ""
        region = try c.decodeIfPresent(String.self, forKey: .region) ?? ""
        resources = try c.decodeIfPresent([String].self, forKey: .resources) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(id, forKey: .id)
        try c.encode(detailType, forKey: .detailType)
        try c.encode(source, forKey: .source)
        try c.encode(account, forKey: .account)
        try c.encode(time, forKey: .time)
        try c.encode(region, forKey: .region)
        try c.encode(resources, forKey: .resources)
        try c.encode([String: String](), forKey: .detail)
    }
}
