import FunctionRuntime

/// Everything `evcsm-local` is told at start, read once (from flags) and passed in.
public struct RunnerConfiguration: Sendable {
    /// How log lines look (the functions' format: text, or JSON lines).
    public typealias LogFormat = FunctionLogConfiguration.Format

    public var host = "127.0.0.1"
    /// HTTP port; 0 picks a free one.
    public var port = 5274
    public var templatePath = "template.yaml"
    /// Where the function binaries (named by logical id) are.
    public var functionsDirectory = ".build/debug"
    /// SQLite file, broker config, dead letters, Data API key.
    public var dataDirectory = ".evcsm"
    /// Serve the Data API from MongoDB instead of the embedded SQLite file.
    public var mongodbURI: String?
    /// The `evcsm-data-api` to run; nil finds the one next to `evcsm-local`, in ``functionsDirectory`` or on PATH.
    public var dataAPIBinary: String?
    /// Use this broker instead of starting mosquitto.
    public var mqttURL: String?
    /// Port of the started broker's MQTT listener; 0 picks a free one.
    public var mqttPort = 1883
    /// Port of the started broker's WebSockets listener; 0 picks a free one.
    public var mqttWebSocketsPort = 9001
    /// Workers per function.
    public var concurrency = 4
    public var logFormat = LogFormat.text
    /// The static web page.
    public var webDirectory = "Web"
    /// Swagger UI assets (installed by `make setup`).
    public var swaggerUIDirectory = ".venv/swagger-ui/dist"
    /// The OpenAPI document served at `/swagger/v1/swagger.json`.
    public var openAPIPath = "openapi/evcsm.openapi.json"
    /// Delays before the two retries of a failed IoT rule invocation.
    public var retryDelays: [Duration] = [.seconds(1), .seconds(2)]
    /// Interval of SSE keep-alive comments.
    public var keepAlive: Duration = .seconds(15)
    /// Start one worker per function before serving (measures cold starts up front).
    public var prewarm = false
    /// Serve `GET /_bench/hello`, a bare route of the same process for `make bench` (off unless `--bench`).
    public var benchRoute = false

    public init() {}
}
