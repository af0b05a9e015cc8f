import ChargingWire
import Essentials
import Foundation
import LocalRunner
import Logging

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A fleet of simulated chargers. It follows `session/updates`; for every session in `Charging` it
/// publishes `{sessionId, energyWh, timestamp, seq}` to `chargers/<chargingPointId>/meter` once per second,
/// energy growing at the session's maxPower × `speed`, and it stops when the session stops.
///
/// maxPower comes from the `session/updates` message when it carries one, else from
/// `GET {apiURL}/api/ChargingSessionAPI/sessions/{id}` when an API URL is known, else 11 kW.
public actor ChargerSimulator {
    /// One charging session being simulated.
    struct Session {
        var chargingPointId: String
        var maxPowerKW: Double
        var energyWh: Double
        var seq: Int
        var lastTick: ContinuousClock.Instant
    }

    public static let fallbackMaxPowerKW = 11.0

    let speed: Double
    var apiURL: String?
    let interval: Duration
    let logger: Logger
    var publish: @Sendable (String, [UInt8]) -> Bool
    var sessions: [String: Session] = [:]
    /// Sessions whose maxPower is being looked up; a stop that arrives meanwhile removes the id.
    var starting: Set<String> = []
    /// Sessions seen stopping. A late `Charging` update for one of them (updates are handled concurrently and
    /// may arrive out of order) must not start metering again. Bounded: forgotten wholesale past 10,000.
    var finished: Set<String> = []
    var ticker: Task<Void, Never>?

    /// - Parameters:
    ///   - speed: time acceleration; energy grows at maxPower × speed.
    ///   - apiURL: runner base URL (`http://127.0.0.1:5274`) to look maxPower up; nil to skip.
    ///   - publish: sends a meter message (QoS 1); returns false when it could not. Inside evcsm-local the
    ///     runner hands its own in ``start(apiURL:publish:)``.
    public init(
        speed: Double, apiURL: String? = nil, interval: Duration = .seconds(1), logger: Logger,
        publish: @escaping @Sendable (String, [UInt8]) -> Bool = { _, _ in false }
    ) {
        self.speed = speed
        self.apiURL = apiURL
        self.interval = interval
        self.logger = logger
        self.publish = publish
    }

    /// Starts the once-per-interval meter ticks.
    public func start() {
        guard ticker == nil else { return }
        ticker = Task { [weak self, interval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await self?.tick()
            }
        }
    }

    /// Stops ticking and forgets every session.
    public func stop() {
        ticker?.cancel()
        ticker = nil
        sessions = [:]
        starting = []
        finished = []
    }

    /// Session ids being simulated now.
    public var activeSessions: [String] { Array(sessions.keys) }

    /// Reacts to one `session/updates` message.
    public func accept(_ message: MQTTMessage) async {
        guard message.topic == Topics.sessionUpdates,
            let object = try? JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any],
            let sessionId = object["sessionId"] as? String
        else { return }
        let status = (object["status"] as? String ?? "").lowercased()
        let charging = ["charging", "active", "started"].contains(status)
        guard charging else {
            if finished.count >= 10_000 { finished.removeAll() }
            finished.insert(sessionId)
            let wasStarting = starting.remove(sessionId) != nil
            if sessions.removeValue(forKey: sessionId) != nil || wasStarting {
                logger.info("simulator: session \(sessionId) \(status); meter stopped")
            }
            return
        }
        guard sessions[sessionId] == nil, !starting.contains(sessionId), !finished.contains(sessionId),
            let point = object["chargingPointId"] as? String
        else { return }
        let energyKWh = Self.number(object["energyConsumed"]) ?? 0
        var maxPower = Self.number(object["maxPower"])
        if maxPower == nil {
            // The actor is re-entered while this waits: a stop (or stop()) in between must win.
            starting.insert(sessionId)
            maxPower = await lookUpMaxPower(sessionId)
            guard starting.remove(sessionId) != nil else { return }
        }
        guard sessions[sessionId] == nil else { return }
        let power = maxPower ?? Self.fallbackMaxPowerKW
        sessions[sessionId] = Session(
            chargingPointId: point, maxPowerKW: power, energyWh: energyKWh * 1000, seq: 0, lastTick: .now)
        logger.info("simulator: metering session \(sessionId) on \(point) at \(power) kW × \(speed)")
    }

    func tick() {
        let now = ContinuousClock.now
        for (id, var session) in sessions {
            let elapsed = (now - session.lastTick) / .seconds(1)
            session.lastTick = now
            session.energyWh += session.maxPowerKW * 1000 * speed * elapsed / 3600
            session.seq += 1
            let body: [String: Any] = [
                "sessionId": id, "energyWh": Int(session.energyWh.rounded(.down)), "seq": session.seq,
                "timestamp": Timestamp.format(Date()),
            ]
            sessions[id] = session
            guard
                let payload = try? JSONSerialization.data(
                    withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
            else {
                continue
            }
            if !publish("chargers/\(session.chargingPointId)/meter", [UInt8](payload)) {
                logger.warning("simulator: could not publish meter value for \(id)")
            }
        }
    }

    func lookUpMaxPower(_ sessionId: String) async -> Double? {
        guard let apiURL,
            let url = URL(string: "\(apiURL)/api/ChargingSessionAPI/sessions/\(sessionId)")
        else { return nil }
        var request = URLRequest(url: url)
        request.timeoutInterval = 5
        guard let (data, response) = try? await URLSession.shared.data(for: request),
            (response as? HTTPURLResponse)?.statusCode == 200,
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return Self.number(object["maxPower"])
    }

    static func number(_ value: Any?) -> Double? {
        if let n = value as? NSNumber { return n.doubleValue }
        if let s = value as? String { return Double(s) }
        return nil
    }
}

/// Inside evcsm-local: the runner starts the simulator once the API and the broker are up.
extension ChargerSimulator: RunnerCompanion {
    public nonisolated var bannerLine: String { "Simulator:  on (speed \(speed))" }
    public nonisolated var topicFilters: [String] { [Topics.sessionUpdates] }

    public func start(apiURL: String, publish: @escaping @Sendable (String, [UInt8]) -> Bool) {
        if self.apiURL == nil { self.apiURL = apiURL }
        self.publish = publish
        start()
    }

    public func accept(topic: String, payload: [UInt8]) async {
        await accept(MQTTMessage(topic: topic, payload: payload))
    }
}

/// The standalone simulator (`evcsm-charger-sim`): its own MQTT client following `session/updates`.
public struct ChargerSimulation: Sendable {
    let connection: MQTTConnection
    let simulator: ChargerSimulator

    /// Connects to the broker and starts simulating.
    public static func start(
        endpoint: MQTTEndpoint, speed: Double, apiURL: String?, logger: Logger
    ) async throws(LocalRunnerError) -> ChargerSimulation {
        let sink = AsyncValue<ChargerSimulator>()
        let connection = try MQTTConnection(
            endpoint: endpoint, clientID: "evcsm-charger-sim-\(getpid())", logger: logger
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
        await simulator.stop()
        connection.close()
    }
}
