import ArgumentParser
import ChargerSimulator
import Foundation
import FunctionRuntime
import LocalRunner
import Logging

/// `evcsm-charger-sim`: the charger simulator against any MQTT broker, or (`--ocpp`) one OCPP 1.6J charge point.
@main
struct EvcsmChargerSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evcsm-charger-sim",
        abstract: "Follow session/updates and publish meter values for every charging session, or (--ocpp) "
            + "simulate one OCPP 1.6J charge point.")

    @Option(help: "MQTT broker (mqtt://host:port).") var mqttUrl = "mqtt://127.0.0.1:1883"
    @Option(help: "MQTT user name (env MQTT_USERNAME; evcsm-local's is in <data-dir>/mqtt-simulator.json).")
    var mqttUsername: String?
    @Option(help: "MQTT password (env MQTT_PASSWORD; prefer the variable).") var mqttPassword: String?
    @Option(help: "Time acceleration (energy grows at maxPower × speed).") var speed = 1.0
    @Option(help: "Runner/API base URL to look up a session's maxPower (e.g. http://127.0.0.1:5274).")
    var apiUrl: String?
    @Option(help: "Log format: text or json.") var logFormat = "text"
    @Option(help: "Simulate one OCPP 1.6J charge point at this CSMS URL (ws://127.0.0.1:5274/ocpp/<id>).")
    var ocpp: String?
    @Option(help: "OCPP Basic auth password (env OCPP_PASSWORD; prefer the variable; from POST /chargers).")
    var password: String?
    @Option(help: "OCPP connectors.") var connectors = 1
    @Option(help: "OCPP connector power in kW.") var maxPower = 22.0

    func run() async throws {
        guard speed > 0 else { throw ValidationError("--speed must be positive") }
        let format = RunnerConfiguration.LogFormat(rawValue: logFormat) ?? .text
        FunctionLogging.bootstrap(FunctionLogConfiguration(format: format))
        let logger = Logger(label: "evcsm.sim")
        if let ocpp {
            try await runOcpp(url: ocpp, logger: logger)
            return
        }
        let endpoint = try MQTTEndpoint(url: mqttUrl)
        let credentials = try MQTTCredentials.fromOptions(
            username: mqttUsername, password: mqttPassword, environment: ProcessInfo.processInfo.environment)
        let session = try await ChargerSimulation.start(
            endpoint: endpoint, credentials: credentials, speed: speed, apiURL: apiUrl, logger: logger)
        logger.info("charger simulator connected to \(endpoint), speed \(speed); Ctrl-C to stop")
        await session.runUntilSignal()
    }

    func runOcpp(url: String, logger: Logger) async throws {
        let secret = password ?? ProcessInfo.processInfo.environment["OCPP_PASSWORD"]
        let configuration: OcppChargePointConfiguration
        do {
            configuration = try OcppChargePointConfiguration(
                url: url, password: secret, connectors: connectors, maxPowerKW: maxPower, speed: speed)
        } catch {
            throw ValidationError(error.message)
        }
        if secret == nil { logger.warning("no --password (or OCPP_PASSWORD): connecting without Basic auth") }
        let chargePoint = OcppChargePoint(configuration: configuration, logger: Logger(label: "evcsm.sim.ocpp"))
        await chargePoint.start()
        let shape = "\(connectors) connector(s) at \(maxPower) kW, speed \(speed)"
        logger.info("OCPP charge point \(configuration.chargePointId) → \(url), \(shape); Ctrl-C to stop")
        await ChargerSimulation.waitForTerminationSignal()
        await chargePoint.stop()
    }
}
