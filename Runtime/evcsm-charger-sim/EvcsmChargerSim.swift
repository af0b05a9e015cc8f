import ArgumentParser
import ChargerSimulator
import Foundation
import FunctionRuntime
import LocalRunner
import Logging

/// `evcsm-charger-sim`: the charger simulator against any MQTT broker.
@main
struct EvcsmChargerSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evcsm-charger-sim",
        abstract: "Follow session/updates and publish meter values for every charging session.")

    @Option(help: "MQTT broker (mqtt://host:port).") var mqttUrl = "mqtt://127.0.0.1:1883"
    @Option(help: "MQTT user name (env MQTT_USERNAME; evcsm-local's is in <data-dir>/mqtt-simulator.json).")
    var mqttUsername: String?
    @Option(help: "MQTT password (env MQTT_PASSWORD; prefer the variable).") var mqttPassword: String?
    @Option(help: "Time acceleration (energy grows at maxPower × speed).") var speed = 1.0
    @Option(help: "Runner/API base URL to look up a session's maxPower (e.g. http://127.0.0.1:5274).")
    var apiUrl: String?
    @Option(help: "Log format: text or json.") var logFormat = "text"

    func run() async throws {
        guard speed > 0 else { throw ValidationError("--speed must be positive") }
        let format = RunnerConfiguration.LogFormat(rawValue: logFormat) ?? .text
        FunctionLogging.bootstrap(FunctionLogConfiguration(format: format))
        let logger = Logger(label: "evcsm.sim")
        let endpoint = try MQTTEndpoint(url: mqttUrl)
        let credentials = try MQTTCredentials.fromOptions(
            username: mqttUsername, password: mqttPassword, environment: ProcessInfo.processInfo.environment)
        let session = try await ChargerSimulation.start(
            endpoint: endpoint, credentials: credentials, speed: speed, apiURL: apiUrl, logger: logger)
        logger.info("charger simulator connected to \(endpoint), speed \(speed); Ctrl-C to stop")
        await session.runUntilSignal()
    }
}
