import ChargingWire
import Foundation
import FunctionRuntime
import LocalRunner
import Logging
import Synchronization

/// evcsm-local's OCPP charger (`--simulate-chargers`): one ``OcppChargePoint`` `ocpp-1` against the
/// runner's own WebSocket API (`ws://<host>:<port>/ocpp/ocpp-1`).
///
/// Its password comes from `<data-dir>/ocpp-ocpp-1.json` (`{"chargePointId", "password"}`, mode 0600). Without that
/// file it registers the charger through `POST /api/ChargingSessionAPI/chargers {chargePointId, ocpp: true,
/// connectors}` with an operator token from the development issuer (`POST /dev/token`, loopback) and stores the
/// password it is shown. A 409 without the file (registered before, password lost) is logged with what to do, and
/// the OCPP charger does not run.
public actor OcppLocalCharger {
    public static let defaultChargePointId = "ocpp-1"
    /// The connector the local charger has (the registration's).
    public static let maxPowerKW = 22.0

    public nonisolated let chargePointId: String
    let dataDirectory: String
    let speed: Double
    let logger: Logger
    /// The WebSocket URL, known once started (read by the banner).
    let endpoint = Mutex<String?>(nil)
    var chargePoint: OcppChargePoint?
    var task: Task<Void, Never>?

    public init(
        dataDirectory: String, chargePointId: String = OcppLocalCharger.defaultChargePointId, speed: Double,
        logger: Logger
    ) {
        self.dataDirectory = dataDirectory
        self.chargePointId = chargePointId
        self.speed = speed
        var logger = logger
        logger[metadataKey: "chargePointId"] = "\(chargePointId)"
        self.logger = logger
    }

    /// `<data-dir>/ocpp-<chargePointId>.json`.
    public nonisolated var passwordFile: String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent("ocpp-\(chargePointId).json").path
    }

    /// The banner line: the charger and the URL it connects to.
    public nonisolated var bannerLine: String {
        "OCPP sim:   \(chargePointId) → \(endpoint.withLock { $0 } ?? "(starting)") (password in \(passwordFile))"
    }

    /// Registers (when needed) and connects in the background. `apiURL` is the runner's `http://host:port`.
    public func start(apiURL: String) {
        guard task == nil else { return }
        let url = Self.webSocketURL(apiURL: apiURL, chargePointId: chargePointId)
        endpoint.withLock { $0 = url }
        task = Task { await self.run(apiURL: apiURL, url: url) }
    }

    /// Stops registering or charging.
    public func stop() async {
        task?.cancel()
        await task?.value
        await chargePoint?.stop()
    }

    /// The charge point, once it runs (for tests).
    public var running: OcppChargePoint? { chargePoint }

    /// `http://h:p` → `ws://h:p/ocpp/<id>` (`https` → `wss`).
    static func webSocketURL(apiURL: String, chargePointId: String) -> String {
        let base = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
        let socket =
            base.hasPrefix("https://")
            ? "wss://" + base.dropFirst(8)
            : base.hasPrefix("http://") ? "ws://" + base.dropFirst(7) : base
        return "\(socket)/ocpp/\(chargePointId)"
    }

    func run(apiURL: String, url: String) async {
        guard let password = await password(apiURL: apiURL), !Task.isCancelled else { return }
        do {
            let configuration = try OcppChargePointConfiguration(
                url: url, password: password, connectors: 1, maxPowerKW: Self.maxPowerKW, speed: speed)
            let chargePoint = OcppChargePoint(configuration: configuration, logger: logger)
            self.chargePoint = chargePoint
            await chargePoint.start()
            logger.info("OCPP sim: \(chargePointId) connecting to \(url)")
        } catch {
            logger.error("OCPP sim: \(error)")
        }
    }

    /// What `<data-dir>/ocpp-<id>.json` holds.
    struct StoredPassword: Codable {
        var chargePointId: String
        var password: String
    }

    /// The stored password, else a new registration's (stored); nil when neither can be had (logged).
    func password(apiURL: String) async -> String? {
        if let data = FileManager.default.contents(atPath: passwordFile),
            let stored = try? WireCoding.decode(StoredPassword.self, from: data),
            stored.chargePointId == chargePointId, !stored.password.isEmpty
        {
            return stored.password
        }
        var delay = Duration.milliseconds(500)
        for attempt in 1...8 {
            switch await register(apiURL: apiURL) {
            case .registered(let password):
                do {
                    let record = try WireCoding.encode(StoredPassword(chargePointId: chargePointId, password: password))
                    try SecretFile.store(Data(record + Array("\n".utf8)), at: passwordFile)
                    logger.info("OCPP sim: registered \(chargePointId); password stored in \(passwordFile)")
                } catch {
                    logger.warning("OCPP sim: \(chargePointId) registered but its password was not stored: \(error)")
                }
                return password
            case .alreadyRegistered:
                logger.warning(
                    """
                    OCPP sim: \(chargePointId) is already registered, but \(passwordFile) does not hold its password: \
                    delete the data directory \(dataDirectory) (or register another id); the OCPP charger does not run
                    """)
                return nil
            case .failed(let reason, let retry):
                guard retry, attempt < 8 else {
                    logger.warning(
                        "OCPP sim: registering \(chargePointId) failed: \(reason); the OCPP charger does not run")
                    return nil
                }
                logger.info("OCPP sim: registering \(chargePointId) failed (\(reason)); retrying")
                guard (try? await Task.sleep(for: delay)) != nil else { return nil }
                delay *= 2
            }
        }
        return nil
    }

    enum Registration {
        case registered(password: String)
        case alreadyRegistered
        case failed(String, retry: Bool)
    }

    /// The one member of a `POST /chargers` answer needed here.
    struct Registered: Decodable {
        var password: String
    }

    /// `POST /api/ChargingSessionAPI/chargers` with a development operator token (none when the runner has no
    /// development issuer: then the API decides).
    func register(apiURL: String) async -> Registration {
        var headers = [("Content-Type", "application/json")]
        if let token = await ChargerSimulator.developmentToken(apiURL) {
            headers.append(("Authorization", "Bearer \(token)"))
        }
        let body: OcppJSON = [
            "chargePointId": .string(chargePointId), "ocpp": true,
            "connectors": [["connectorId": 1, "maxPower": .number(Self.maxPowerKW)]],
        ]
        let request = HTTPClientRequest(
            method: "POST", url: "\(apiURL)/api/ChargingSessionAPI/chargers", headers: headers,
            body: body.serialized(), timeout: .seconds(10))
        let response: HTTPClientResponse
        switch await BlockingHTTP.send(request) {
        case .success(let answer): response = answer
        case .failure(let error): return .failed(error.message, retry: true)
        }
        let status = response.status
        let data = response.body
        switch status {
        case 201:
            guard let registered = try? WireCoding.decode(Registered.self, from: data) else {
                return .failed("201 without a password", retry: false)
            }
            return .registered(password: registered.password)
        case 409: return .alreadyRegistered
        default:
            let text = String(decoding: data.prefix(300), as: UTF8.self)
            return .failed("HTTP \(status) \(text)", retry: status >= 500 || status == 429)
        }
    }
}
