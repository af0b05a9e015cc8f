import FunctionRuntime

/// Where and how to reach a MongoDB Data API (v1 wire format). Read once at start.
public struct DataAPIConfiguration: Sendable, Equatable {
    /// Base URL; actions are posted to `{baseURL}/action/{name}`.
    public var baseURL: String
    /// Sent as the `apiKey` header.
    public var apiKey: String
    /// The `dataSource` of every request (Atlas's cluster name; evcsm-data-api ignores it).
    public var dataSource: String
    /// The database of every request.
    public var database: String
    /// Total time for one HTTP exchange.
    public var timeout: Duration
    /// Time to establish the connection.
    public var connectTimeout: Duration
    /// How often a read is retried after a fast connection failure or 5xx answer. An attempt that took half of
    /// `timeout` or more is not retried, so a stalled store costs one `timeout` (and the function answers 503
    /// inside its own timeout) rather than `timeout × (readRetries + 1)`. Writes are never retried.
    public var readRetries: Int

    /// A configuration; a trailing `/` of `baseURL` is dropped.
    public init(
        baseURL: String, apiKey: String, dataSource: String = "mongodb-atlas", database: String = "EVChargingDB",
        timeout: Duration = .seconds(5), connectTimeout: Duration = .seconds(2), readRetries: Int = 2
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.dataSource = dataSource
        self.database = database
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.readRetries = readRetries
    }

    /// Reads `DATA_API_URL`, `DATA_API_KEY` (required), `DATA_API_DATA_SOURCE`, `DATA_API_DATABASE`,
    /// `DATA_API_TIMEOUT_MS`.
    public static func fromEnvironment(_ env: FunctionEnvironment) throws(FunctionRuntimeError) -> DataAPIConfiguration
    {
        let url = try env.required("DATA_API_URL")
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw FunctionRuntimeError(.invalidEnvironment, "DATA_API_URL must be an http(s) URL: \(url)")
        }
        let timeoutMs = try env.int("DATA_API_TIMEOUT_MS", default: 5000)
        guard timeoutMs > 0 else {
            throw FunctionRuntimeError(.invalidEnvironment, "DATA_API_TIMEOUT_MS must be positive: \(timeoutMs)")
        }
        return DataAPIConfiguration(
            baseURL: url, apiKey: try env.required("DATA_API_KEY"),
            dataSource: env["DATA_API_DATA_SOURCE"] ?? "mongodb-atlas",
            database: env["DATA_API_DATABASE"] ?? "EVChargingDB", timeout: .milliseconds(timeoutMs))
    }
}
