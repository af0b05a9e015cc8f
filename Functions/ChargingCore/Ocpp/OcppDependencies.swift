/// Everything the OCPP handlers share, composed once per process (``live(_:logger:)`` in OcppDependencies+Live.swift).
public struct OcppDependencies: Sendable {
    /// The session store, publisher, tariff, clock, defaults, plausibility and metrics.
    public var charging: FunctionDependencies
    public var registry: any ChargingPointRegistry
    public var chargers: any ChargerStateStore
    public var idTags: any IdTagStore
    public var transactions: any TransactionIdAllocator
    public var calls: any ChargerCalls
    public var outstanding: any OutstandingCallStore
    public var settings: OcppSettings

    public init(
        charging: FunctionDependencies, registry: any ChargingPointRegistry, chargers: any ChargerStateStore,
        idTags: any IdTagStore, transactions: any TransactionIdAllocator, calls: any ChargerCalls,
        outstanding: any OutstandingCallStore, settings: OcppSettings = OcppSettings()
    ) {
        self.charging = charging
        self.registry = registry
        self.chargers = chargers
        self.idTags = idTags
        self.transactions = transactions
        self.calls = calls
        self.outstanding = outstanding
        self.settings = settings
    }
}

/// The OCPP settings (`OCPP_*`, read once).
public struct OcppSettings: Sendable, Hashable {
    /// BootNotification's `interval` in seconds (`OCPP_HEARTBEAT_INTERVAL`, 1…540, default 300).
    public var heartbeatInterval: Int
    /// How long a CSMS call waits for the charger's answer (`OCPP_CALL_TIMEOUT_SECONDS`, default 10).
    public var callTimeout: Duration
    /// How long `POST /stop` waits for StopTransaction (`OCPP_STOP_WAIT_SECONDS`, default 10).
    public var stopWait: Duration
    /// How long a remote start may wait for StartTransaction before it ends as NotStarted
    /// (`OCPP_START_TIMEOUT_SECONDS`, default 120).
    public var startTimeout: Duration
    /// kW of a connector the registration gives no power for (`OCPP_DEFAULT_MAX_POWER`, default 22).
    public var defaultMaxPower: Double

    public init(
        heartbeatInterval: Int = 300, callTimeout: Duration = .seconds(10), stopWait: Duration = .seconds(10),
        startTimeout: Duration = .seconds(120), defaultMaxPower: Double = 22
    ) {
        self.heartbeatInterval = heartbeatInterval
        self.callTimeout = callTimeout
        self.stopWait = stopWait
        self.startTimeout = startTimeout
        self.defaultMaxPower = defaultMaxPower
    }
}
