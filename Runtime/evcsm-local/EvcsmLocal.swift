import ArgumentParser
import ChargerSimulator
import Foundation
import FunctionRuntime
import LocalRunner
import Logging

/// `evcsm-local`: the whole system on a laptop. Parses flags and composes the runner; nothing else.
@main
struct EvcsmLocal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evcsm-local",
        abstract: "Run evcsm locally: API Gateway, Lambda workers, AWS IoT (mosquitto) and the Data API.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "HTTP port (0 picks a free one).") var port = 5274
    @Option(help: "SAM template to read.") var template = "template.yaml"
    @Option(help: "Directory with the function binaries (named by logical id).") var functionsDir = ".build/debug"
    @Option(help: "Data directory (SQLite file, broker config, dead letters).") var dataDir = ".evcsm"
    @Option(help: "Serve the Data API from this MongoDB instead of SQLite.") var mongodbUri: String?
    @Option(help: "The evcsm-data-api to run (default: the one next to evcsm-local).") var dataApiBinary: String?
    @Option(help: "Use this MQTT broker (mqtt://host:port) instead of starting mosquitto.") var mqttUrl: String?
    @Option(help: "User name on the --mqtt-url broker (env MQTT_USERNAME).") var mqttUsername: String?
    @Option(help: "Password on the --mqtt-url broker (env MQTT_PASSWORD; prefer the variable).")
    var mqttPassword: String?
    @Option(help: "MQTT port of the started broker (0 picks a free one).") var mqttPort = 1883
    @Option(help: "WebSockets port of the started broker (0 picks a free one).") var mqttWsPort = 9001
    @Option(help: "Worker processes per function.") var concurrency = 4
    @Option(help: "Log format: text or json.") var logFormat = "text"
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"
    @Flag(help: "Simulate chargers: meter values for every charging session, and the OCPP charger ocpp-1.")
    var simulateChargers = false
    @Option(help: "Simulator time acceleration (energy grows at maxPower × speed; sets METER_TIME_SCALE).")
    var speed = 1.0
    @Option(help: "Directory of the web page served at /.") var webDir = "Web"
    @Option(help: "Swagger UI assets directory.") var swaggerUiDir = ".venv/swagger-ui/dist"
    @Option(help: "OpenAPI document served at /swagger/v1/swagger.json.") var openapi = "openapi/evcsm.openapi.json"
    @Flag(help: "Start one worker per function before serving.") var prewarm = false
    @Flag(help: "Print the parsed view of the template as JSON and exit.") var dumpTemplate = false
    @Flag(help: "Serve GET /_bench/hello, a bare route for `make bench`.") var bench = false
    @Option(help: "Run every rate() schedule at this interval instead (e.g. 2s, 500ms; development and tests).")
    var scheduleInterval: String?
    @Option(help: "Set NAME=VALUE in every function's environment, over the template's (repeatable).")
    var functionEnv: [String] = []
    @OptionGroup(title: "Authentication") var authOptions: AuthOptions

    func run() async throws {
        let onEventLoops = RunnerApplication.installEventLoopExecutor()
        if dumpTemplate {
            let model = try TemplateLoader().load(path: template)
            print(try TemplateDump.json(model))
            return
        }
        guard let format = RunnerConfiguration.LogFormat(rawValue: logFormat) else {
            throw ValidationError("--log-format must be text or json")
        }
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard speed > 0 else { throw ValidationError("--speed must be positive") }
        guard concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
        FunctionLogging.bootstrap(FunctionLogConfiguration(format: format, level: level))
        if !onEventLoops {
            Logger(label: "evcsm.local").warning(
                "Swift concurrency stays on its cooperative pool (its global executor hook was taken): more thread switches per request"
            )
        }

        var configuration = RunnerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.templatePath = template
        configuration.functionsDirectory = functionsDir
        configuration.dataDirectory = dataDir
        configuration.mongodbURI = mongodbUri ?? ProcessInfo.processInfo.environment["MONGODB_URI"]
        configuration.dataAPIBinary = dataApiBinary
        configuration.mqttURL = mqttUrl ?? ProcessInfo.processInfo.environment["MQTT_URL"]
        configuration.mqttPort = mqttPort
        configuration.mqttWebSocketsPort = mqttWsPort
        configuration.concurrency = concurrency
        configuration.logFormat = format
        configuration.webDirectory = webDir
        configuration.swaggerUIDirectory = swaggerUiDir
        configuration.openAPIPath = openapi
        configuration.prewarm = prewarm
        configuration.benchRoute = bench
        configuration.auth = try authOptions.settings()
        do {
            configuration.mqttCredentials = try MQTTCredentials.fromOptions(
                username: mqttUsername, password: mqttPassword, environment: ProcessInfo.processInfo.environment)
            configuration.scheduleInterval = try scheduleInterval.map(RunnerConfiguration.parseInterval)
            configuration.functionEnvironment = try RunnerConfiguration.parseFunctionEnvironment(functionEnv)
            // The simulator meters at maxPower × speed; the functions' plausibility check (docs/METER.md) must allow
            // that time scale, or every simulated reading past the tolerance would be rejected.
            if simulateChargers, speed != 1, configuration.functionEnvironment["METER_TIME_SCALE"] == nil {
                configuration.functionEnvironment["METER_TIME_SCALE"] = String(speed)
            }
            // --simulate-chargers also runs the OCPP charger `ocpp-1` (its password kept in the data dir).
            let ocpp = OcppLocalCharger(dataDirectory: dataDir, speed: speed, logger: Logger(label: "evcsm.sim.ocpp"))
            let companions: [any RunnerCompanion] =
                simulateChargers ? [ChargerSimulator(speed: speed, logger: Logger(label: "evcsm.sim"), ocpp: ocpp)] : []
            try await buildApplication(configuration: configuration, companions: companions).run()
        } catch let error as LocalRunnerError {
            FileHandle.standardError.write(Data("evcsm-local: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
    }
}
