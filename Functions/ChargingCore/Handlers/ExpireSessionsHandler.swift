import FunctionRuntime

/// The schedule (`ExpireSessions`, a SAM `Schedule` event): stops (`Timeout`) the `Charging` sessions whose charger
/// went silent, so a point is never held forever. Each stop frees the point's lock and publishes `session/updates`
/// (``ChargingService/expireIdle(idleMilliseconds:limit:logger:)``). It also ends the OCPP remote starts that no
/// StartTransaction followed within `OCPP_START_TIMEOUT_SECONDS` as `NotStarted`, cost 0
/// (``ChargingService/expireNotStarted(startTimeoutMilliseconds:limit:logger:)``).
///
/// At most ``Configuration/limit`` sessions per run, oldest first; the next run takes the rest. A store failure
/// throws, so Lambda retries the invocation (evcsm-local logs it).
public struct ExpireSessionsHandler: ScheduledFunction {
    /// The schedule's settings, read once at start.
    public struct Configuration: Sendable, Hashable {
        /// `SESSION_IDLE_TIMEOUT_MINUTES` (default 30; decimals allowed, at least 1 s, at most 7 days): how long a
        /// session may go without a meter value (since its start when it has none).
        public var idleMilliseconds: Int64
        /// `EXPIRE_BATCH_LIMIT` (default 500, 1…10,000): at most this many sessions stopped per run.
        public var limit: Int
        /// `OCPP_START_TIMEOUT_SECONDS` (default 120, 1…3600; ``OcppSettings``): how long a remote start may wait for
        /// the charger's StartTransaction.
        public var startTimeoutMilliseconds: Int64

        /// The variables ``fromEnvironment(_:)`` reads, for `--help`.
        public static let environmentVariables = [
            "SESSION_IDLE_TIMEOUT_MINUTES", "EXPIRE_BATCH_LIMIT", "OCPP_START_TIMEOUT_SECONDS",
        ]
        static let idleRange: ClosedRange<Int64> = 1000...(7 * 24 * 60 * 60_000)
        static let limitRange = 1...10_000

        public init(idleMilliseconds: Int64 = 30 * 60_000, limit: Int = 500, startTimeoutMilliseconds: Int64 = 120_000)
        {
            self.idleMilliseconds = idleMilliseconds
            self.limit = limit
            self.startTimeoutMilliseconds = startTimeoutMilliseconds
        }

        /// Reads the variables; a value that is not a number or out of range is an init error naming the variable
        /// and the range.
        public static func fromEnvironment(_ env: FunctionEnvironment) throws(FunctionRuntimeError) -> Configuration {
            let minutes = try env.double("SESSION_IDLE_TIMEOUT_MINUTES", default: 30)
            let idle = minutes * 60_000
            guard idle >= Double(idleRange.lowerBound), idle <= Double(idleRange.upperBound) else {
                throw FunctionRuntimeError(
                    .invalidEnvironment,
                    "environment variable SESSION_IDLE_TIMEOUT_MINUTES must be a number of minutes from 1 second "
                        + "(0.017) to 7 days (10080): \(env["SESSION_IDLE_TIMEOUT_MINUTES"] ?? "")")
            }
            let limit = try env.int("EXPIRE_BATCH_LIMIT", default: 500)
            guard limitRange.contains(limit) else {
                throw FunctionRuntimeError(
                    .invalidEnvironment,
                    "environment variable EXPIRE_BATCH_LIMIT must be an integer from \(limitRange.lowerBound) to "
                        + "\(limitRange.upperBound): \(limit)")
            }
            let startTimeout = try OcppSettings.fromEnvironment(env).startTimeout
            return Configuration(
                idleMilliseconds: Int64(idle.rounded()), limit: limit,
                startTimeoutMilliseconds: OcppChargerCalls.milliseconds(startTimeout))
        }
    }

    let dependencies: FunctionDependencies
    let configuration: Configuration

    public init(_ dependencies: FunctionDependencies, configuration: Configuration = Configuration()) {
        self.dependencies = dependencies
        self.configuration = configuration
    }

    public func handle(_ event: ScheduledEvent, context: FunctionContext) async throws -> NoOutput {
        let expired = try await dependencies.service.expireIdle(
            idleMilliseconds: configuration.idleMilliseconds, limit: configuration.limit, logger: context.logger)
        let notStarted = try await dependencies.service.expireNotStarted(
            startTimeoutMilliseconds: configuration.startTimeoutMilliseconds, limit: configuration.limit,
            logger: context.logger)
        context.logger.info(
            "expire run done",
            metadata: [
                "expired": "\(expired)", "notStarted": "\(notStarted)", "idleMs": "\(configuration.idleMilliseconds)",
                "limit": "\(configuration.limit)",
            ])
        if expired >= configuration.limit || notStarted >= configuration.limit {
            context.logger.notice("expire limit reached; the next run stops the rest")
        }
        return NoOutput()
    }
}
