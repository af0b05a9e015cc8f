import ChargingWire
import Foundation
import LocalRunner
import Logging

/// The standalone simulator (`evcsm-charger-sim`): its own MQTT client following `session/updates`.
public struct ChargerSimulation: Sendable {
    let connection: MQTTConnection
    let simulator: ChargerSimulator

    /// Connects to the broker (signed in with `credentials`, when given) and starts simulating.
    public static func start(
        endpoint: MQTTEndpoint, credentials: MQTTCredentials? = nil, speed: Double, apiURL: String?, logger: Logger
    ) async throws(LocalRunnerError) -> ChargerSimulation {
        let sink = AsyncValue<ChargerSimulator>()
        let connection = try MQTTConnection(
            endpoint: endpoint, clientID: "evcsm-charger-sim-\(getpid())", credentials: credentials, logger: logger
        ) { message in
            if let simulator = sink.current { Task { await simulator.accept(message) } }
        }
        let simulator = ChargerSimulator(speed: speed, apiURL: apiURL, logger: logger) { topic, payload in
            (try? connection.publish(topic: topic, payload: payload, qos: 1)) != nil
        }
        sink.set(simulator)
        connection.subscribe([Topics.sessionUpdates])
        try connection.start()
        await simulator.start()
        if await !connection.waitUntilConnected(timeout: .seconds(10)) {
            logger.warning("broker \(endpoint) not reachable yet; retrying in the background")
        }
        return ChargerSimulation(connection: connection, simulator: simulator)
    }

    /// Runs until SIGINT or SIGTERM, then disconnects.
    public func runUntilSignal() async {
        await Self.waitForTerminationSignal()
        await simulator.stop()
        connection.close()
    }

    /// Returns once SIGINT or SIGTERM arrived.
    public static func waitForTerminationSignal() async {
        let (signals, sink) = AsyncStream.makeStream(of: Int32.self)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { sink.yield(number) }
            source.resume()
            sources.append(source)
        }
        for await _ in signals { break }
        for source in sources { source.cancel() }
    }
}
