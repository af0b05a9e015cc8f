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
    /// `--mqtt-username`/`--mqtt-password`: how the runner signs in to the `--mqtt-url` broker (the broker it
    /// starts gets generated users instead, see ``MQTTAccess``).
    public var mqttCredentials: MQTTCredentials?
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
    /// `--schedule-interval`: run every enabled `rate()` schedule at this interval instead of its own (development
    /// and tests); nil keeps the template's rates.
    public var scheduleInterval: Duration?
    /// `--function-env NAME=VALUE`: set in every function's environment on top of the template's.
    public var functionEnvironment: [String: String] = [:]
    /// `--auth`, `--jwt-*`, `--jwks-*`: the HTTP API JWT authorizer (see ``AuthSettings``).
    public var auth = AuthSettings()

    public init() {}
}

extension RunnerConfiguration {
    /// Parses `--schedule-interval`: a positive whole number with `ms`, `s`, `m` or `h` (`500ms`, `2s`, `1m`).
    public static func parseInterval(_ text: String) throws(LocalRunnerError) -> Duration {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, milliseconds) in units where text.hasSuffix(suffix) {
            if let value = Int64(text.dropLast(suffix.count)), value > 0, value <= 86_400_000 / milliseconds {
                return .milliseconds(value * milliseconds)
            }
        }
        throw LocalRunnerError(
            .configuration, "--schedule-interval \(text): use a positive number with ms, s, m or h (e.g. 2s)")
    }

    /// Parses `--function-env NAME=VALUE` items. A variable evcsm-local sets itself (DATA_API_URL, ...) is refused:
    /// the runner's value would win.
    public static func parseFunctionEnvironment(_ items: [String]) throws(LocalRunnerError) -> [String: String] {
        var environment: [String: String] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard parts.count == 2, !name.isEmpty,
                name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }),
                !(name.first?.isNumber ?? true)
            else {
                throw LocalRunnerError(.configuration, "--function-env \(item): use NAME=VALUE")
            }
            guard !TemplateLoader.runnerProvidedVariables.contains(name) else {
                throw LocalRunnerError(.configuration, "--function-env \(name): evcsm-local sets this variable itself")
            }
            environment[name] = String(parts[1])
        }
        return environment
    }
}
