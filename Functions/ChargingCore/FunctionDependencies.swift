import DataAPI
import FunctionRuntime
import Logging

/// Everything a charging function needs, composed once per process: the store, the publisher, the
/// tariff, the clock and the defaults. Tests build it with in-memory fakes; `main.swift` calls ``live``.
public struct FunctionDependencies: Sendable {
    public var store: any SessionStore
    public var publisher: any Publisher
    public var tariff: Tariff
    public var clock: any WallClock
    public var defaults: ChargingDefaults
    /// The bounds a meter value must satisfy (`METER_*`).
    public var plausibility: MeterPlausibility
    /// Where metrics go (CloudWatch Embedded Metric Format lines on stdout in production).
    public var metrics: any MetricsEmitter
    /// Who the HTTP functions take the caller to be (`AUTH_MODE`; ``Caller``).
    public var authMode: AuthMode

    public init(
        store: any SessionStore, publisher: any Publisher, tariff: Tariff = Tariff(),
        clock: any WallClock = SystemWallClock(), defaults: ChargingDefaults = ChargingDefaults(),
        plausibility: MeterPlausibility = MeterPlausibility(), metrics: any MetricsEmitter = DiscardingMetricsEmitter(),
        authMode: AuthMode = .jwt
    ) {
        self.store = store
        self.publisher = publisher
        self.tariff = tariff
        self.clock = clock
        self.defaults = defaults
        self.plausibility = plausibility
        self.metrics = metrics
        self.authMode = authMode
    }

    /// The domain operations over these collaborators.
    public var service: ChargingService {
        ChargingService(
            store: store, publisher: publisher, tariff: tariff, clock: clock, defaults: defaults,
            plausibility: plausibility, metrics: metrics)
    }

    /// The environment variables ``live(_:logger:publishes:)`` reads, for `--help`.
    public static func environmentVariables(publishes: Bool) -> [String] {
        [
            "AUTH_MODE", "DATA_API_URL", "DATA_API_KEY", "DATA_API_DATA_SOURCE", "DATA_API_DATABASE",
            "DATA_API_TIMEOUT_MS",
        ]
            + (publishes
                ? [
                    "IOT_DATA_ENDPOINT", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                    "AWS_SESSION_TOKEN",
                ]
                : [])
            + ["TARIFF_PER_KWH", "TARIFF_SESSION_FEE", "TARIFF_PER_MINUTE", "TARIFF_CURRENCY"]
            + ["METER_POWER_TOLERANCE", "METER_TOLERANCE_WH", "METER_TIME_SCALE"]
            + (publishes
                ? [
                    "DEFAULT_CHARGING_POINT", "DEFAULT_MAX_POWER", "DEFAULT_TARGET_CHARGE", "DEFAULT_BATTERY_CAPACITY",
                    "DEFAULT_CURRENT_CHARGE",
                ] : ["DEFAULT_BATTERY_CAPACITY", "DEFAULT_CURRENT_CHARGE"])
    }

    /// The production composition from the environment (read once): the ``AuthMode`` (`AUTH_MODE`), a
    /// ``DataAPISessionStore`` over libcurl,
    /// an ``IoTDataPublisher`` (required when `publishes`, else only when `IOT_DATA_ENDPOINT` is set), the
    /// tariff, defaults and meter bounds from `TARIFF_*` / `DEFAULT_*` / `METER_*`, EMF metrics on
    /// stdout, and the system clock. Errors name the variable.
    public static func live(
        _ env: FunctionEnvironment, logger: Logger, publishes: Bool
    ) throws(FunctionRuntimeError)
        -> FunctionDependencies
    {
        let dataAPI = DataAPIClient(
            configuration: try DataAPIConfiguration.fromEnvironment(env), transport: CurlHTTPClient(), logger: logger)
        let publisher: any Publisher
        if publishes || env["IOT_DATA_ENDPOINT"] != nil {
            publisher = IoTDataPublisher(
                configuration: try .fromEnvironment(env), transport: CurlHTTPClient())
        } else {
            publisher = UnconfiguredPublisher()
        }
        return FunctionDependencies(
            store: DataAPISessionStore(client: dataAPI, logger: logger), publisher: publisher,
            tariff: try Tariff.fromEnvironment(env), clock: SystemWallClock(),
            defaults: try ChargingDefaults.fromEnvironment(env), plausibility: try .fromEnvironment(env),
            metrics: EmbeddedMetricsEmitter.fromEnvironment(env), authMode: try AuthMode.fromEnvironment(env))
    }
}
