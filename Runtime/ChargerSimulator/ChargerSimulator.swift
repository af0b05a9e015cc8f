import ChargingWire
import Essentials
import Foundation
import FunctionRuntime
import LocalRunner
import Logging

/// A fleet of simulated chargers. It follows `session/updates`; for every session in `Charging` it
/// publishes `{sessionId, energyWh, timestamp, seq}` to `chargers/<chargingPointId>/meter` once per second,
/// energy growing at the session's maxPower × `speed`, and it stops when the session stops.
///
/// maxPower comes from `GET {apiURL}/api/ChargingSessionAPI/sessions/{id}` when an API URL is known (the
/// `session/updates` message does not carry it; signed in with a development operator token when the API asks
/// for one), else 11 kW. A session that look-up shows on an OCPP charger's connector is left alone: its charger
/// meters it over OCPP (so is every session of the local OCPP charger, ``OcppLocalCharger``).
public actor ChargerSimulator {
    /// One charging session being simulated.
    struct Session {
        var chargingPointId: String
        var maxPowerKW: Double
        var energyWh: Double
        var seq: Int64
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
    /// The bearer token for the API lookups, once one was needed (see ``developmentToken(_:)``).
    var token: String?
    /// The OCPP charger run beside (evcsm-local); its sessions are metered by it over OCPP, not here.
    let ocpp: OcppLocalCharger?

    /// - Parameters:
    ///   - speed: time acceleration; energy grows at maxPower × speed.
    ///   - apiURL: runner base URL (`http://127.0.0.1:5274`) to look maxPower up; nil to skip.
    ///   - publish: sends a meter message (QoS 1); returns false when it could not. Inside evcsm-local the
    ///     runner hands its own in ``start(apiURL:publish:)``.
    ///   - ocpp: an OCPP charger started and stopped with it (inside evcsm-local).
    public init(
        speed: Double, apiURL: String? = nil, interval: Duration = .seconds(1), logger: Logger,
        publish: @escaping @Sendable (String, [UInt8]) -> Bool = { _, _ in false }, ocpp: OcppLocalCharger? = nil
    ) {
        self.ocpp = ocpp
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

    /// Stops ticking and forgets every session (and stops the OCPP charger).
    public func stop() async {
        await ocpp?.stop()
        ticker?.cancel()
        ticker = nil
        sessions = [:]
        starting = []
        finished = []
    }

    /// Session ids being simulated now.
    public var activeSessions: [String] { Array(sessions.keys) }

    /// Statuses (lowercased) that mean "meter this session"; any other status stops it.
    static let chargingStatuses: Set<String> = ["charging", "active", "started"]

    /// Reacts to one `session/updates` message (a ``SessionUpdate``); other payloads are ignored.
    public func accept(_ message: MQTTMessage) async {
        guard message.topic == Topics.sessionUpdates else { return }
        let update: SessionUpdate
        do {
            update = try SessionUpdate.decode(message.payload)
        } catch {
            logger.debug("simulator: session/updates message ignored: \(error.message)")
            return
        }
        let sessionId = update.sessionId
        guard Self.chargingStatuses.contains(update.status.lowercased()) else {
            if finished.count >= 10_000 { finished.removeAll() }
            finished.insert(sessionId)
            let wasStarting = starting.remove(sessionId) != nil
            if sessions.removeValue(forKey: sessionId) != nil || wasStarting {
                logger.info("simulator: session \(sessionId) \(update.status.lowercased()); meter stopped")
            }
            return
        }
        guard sessions[sessionId] == nil, !starting.contains(sessionId), !finished.contains(sessionId),
            update.chargingPointId != ocpp?.chargePointId
        else { return }
        // The actor is re-entered while this waits: a stop (or stop()) in between must win.
        starting.insert(sessionId)
        let found = await lookUpSession(sessionId)
        guard starting.remove(sessionId) != nil, sessions[sessionId] == nil else { return }
        // An OCPP session (it has a connector): its charger sends the meter values, over OCPP.
        guard found?.connectorId == nil else { return }
        let power = found?.maxPower ?? Self.fallbackMaxPowerKW
        let point = update.chargingPointId
        sessions[sessionId] = Session(
            chargingPointId: point, maxPowerKW: power, energyWh: update.energyConsumed * 1000, seq: 0,
            lastTick: .now)
        logger.info("simulator: metering session \(sessionId) on \(point) at \(power) kW × \(speed)")
    }

    func tick() {
        let now = ContinuousClock.now
        for (id, var session) in sessions {
            let elapsed = (now - session.lastTick) / .seconds(1)
            session.lastTick = now
            session.energyWh += session.maxPowerKW * 1000 * speed * elapsed / 3600
            session.seq += 1
            sessions[id] = session
            let reading = MeterReading(
                sessionId: id, energyWh: session.energyWh.rounded(.down), timestamp: Timestamp.format(Date()),
                seq: session.seq)
            guard let payload = try? reading.encoded() else { continue }
            if !publish(Topics.meter(chargingPointId: session.chargingPointId), payload) {
                logger.warning("simulator: could not publish meter value for \(id)")
            }
        }
    }

    func lookUpSession(_ sessionId: String) async -> SessionPower? {
        guard let apiURL else { return nil }
        for attempt in 0..<2 {
            var headers: [(String, String)] = []
            if let token { headers.append(("Authorization", "Bearer \(token)")) }
            let request = HTTPClientRequest(
                method: "GET", url: "\(apiURL)/api/ChargingSessionAPI/sessions/\(sessionId)", headers: headers,
                timeout: .seconds(5))
            guard case .success(let response) = await BlockingHTTP.send(request) else { return nil }
            if response.status == 200 { return try? WireCoding.decode(SessionPower.self, from: response.body) }
            guard response.status == 401, attempt == 0, let fresh = await Self.developmentToken(apiURL) else {
                return nil
            }
            token = fresh
        }
        return nil
    }

    /// An operator token from the runner's development issuer (`POST /dev/token`, loopback only); nil when the
    /// runner has none (an external issuer), and the simulator falls back to 11 kW.
    static func developmentToken(_ apiURL: String) async -> String? {
        let request = HTTPClientRequest(
            method: "POST", url: "\(apiURL)/dev/token", headers: [("Content-Type", "application/json")],
            body: Array(#"{"sub":"evcsm-charger-sim","role":"operator"}"#.utf8), timeout: .seconds(5))
        guard case .success(let response) = await BlockingHTTP.send(request), response.status == 200 else {
            return nil
        }
        return (try? WireCoding.decode(IssuedToken.self, from: response.body))?.token
    }

    /// The one member of a `POST /dev/token` answer the simulator needs.
    struct IssuedToken: Decodable {
        var token: String
    }

    /// The members of a `GET /sessions/{id}` body the simulator needs.
    struct SessionPower: Decodable {
        /// kW.
        var maxPower: Double
        /// Set for a session on an OCPP charger's connector (not metered here).
        var connectorId: Int?
    }
}

/// Inside evcsm-local: the runner starts the simulator once the API and the broker are up.
extension ChargerSimulator: RunnerCompanion {
    public nonisolated var bannerLine: String {
        "Simulator:  on (speed \(speed))" + (ocpp.map { "\n  " + $0.bannerLine } ?? "")
    }
    public nonisolated var topicFilters: [String] { [Topics.sessionUpdates] }
    /// The template's development user for simulated chargers (may publish every `chargers/+/meter`).
    public nonisolated var mqttUsername: String { "simulator" }

    public func start(apiURL: String, publish: @escaping @Sendable (String, [UInt8]) -> Bool) async {
        if self.apiURL == nil { self.apiURL = apiURL }
        self.publish = publish
        start()
        await ocpp?.start(apiURL: apiURL)
    }

    public func accept(topic: String, payload: [UInt8]) async {
        await accept(MQTTMessage(topic: topic, payload: payload))
    }
}
