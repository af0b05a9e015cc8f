import Essentials
import Foundation

/// Errors of the OCPP charge point simulator.
public typealias OcppSimulatorError = CodedError<OcppSimulatorErrorCode>

/// The codes of ``OcppSimulatorError``.
public enum OcppSimulatorErrorCode: String, ErrorCode {
    /// A URL, id or option is invalid.
    case configuration
    /// The CSMS answered a CALL with a CALLERROR.
    case callError
    /// The CSMS did not answer a CALL in time.
    case callTimeout
    /// The charge point was stopped while the CALL waited.
    case stopped
    /// Registering the charger with the API failed.
    case registration
}

/// What one simulated OCPP 1.6J charge point is: where it connects, as whom, and how it charges.
public struct OcppChargePointConfiguration: Sendable {
    /// The CSMS endpoint, e.g. `ws://127.0.0.1:5274/ocpp/ocpp-1`.
    public var url: String
    /// The charge point identity: the URL's `chargePointId` query parameter, else its last path segment
    /// (percent-decoded).
    public var chargePointId: String
    /// The HTTP Basic auth password (security profile 1); nil sends no `Authorization` header.
    public var password: String?
    /// Connectors `1…connectors`.
    public var connectors: Int
    /// kW of every connector.
    public var maxPowerKW: Double
    /// Time acceleration: energy grows at maxPower × speed; meter values every 10 s / speed (at least 0.2 s).
    public var speed: Double
    /// The first reconnect delay after a drop; doubled per failed attempt up to ``maxReconnectDelay``.
    public var reconnectDelay: Duration = .seconds(1)
    public var maxReconnectDelay: Duration = .seconds(30)
    /// How long a CALL waits for the CSMS's answer before it is given up.
    public var callTimeout: Duration = .seconds(30)
    /// The Heartbeat interval until a BootNotification answer names one.
    public var defaultHeartbeatInterval: Duration = .seconds(300)

    /// The nominal sample interval (`MeterValueSampleInterval`) in simulated seconds.
    public static let sampleIntervalSeconds = 10.0
    /// The largest OCPP-J message the simulator reads (the API Gateway limit).
    public static let maximumMessageSize = 128 * 1024
    /// The subprotocol offered at the handshake.
    public static let subprotocol = "ocpp1.6"
    public static let vendor = "evcsm"
    public static let model = "sim"

    /// Validates the URL (`ws://` or `wss://` with a charge point identity) and the numbers.
    public init(
        url: String, password: String?, connectors: Int = 1, maxPowerKW: Double = 22, speed: Double = 1
    ) throws(OcppSimulatorError) {
        guard let components = URLComponents(string: url), ["ws", "wss"].contains(components.scheme ?? ""),
            components.host?.isEmpty == false
        else { throw OcppSimulatorError(.configuration, "the OCPP URL must be ws://host:port/ocpp/<id>, not \(url)") }
        let fromQuery = components.queryItems?.first { $0.name == "chargePointId" }?.value
        let segments = components.percentEncodedPath.split(separator: "/")
        // `/ocpp/<id>`: the identity is the last of at least two segments.
        let fromPath = segments.count >= 2 ? segments.last.map { String($0).removingPercentEncoding ?? "" } : nil
        guard let id = fromQuery ?? fromPath, !id.isEmpty else {
            throw OcppSimulatorError(.configuration, "the OCPP URL \(url) names no charge point (…/ocpp/<id>)")
        }
        guard (1...99).contains(connectors) else {
            throw OcppSimulatorError(.configuration, "connectors must be 1…99, not \(connectors)")
        }
        guard maxPowerKW > 0, maxPowerKW.isFinite else {
            throw OcppSimulatorError(.configuration, "max power must be positive, not \(maxPowerKW)")
        }
        guard speed > 0, speed.isFinite else { throw OcppSimulatorError(.configuration, "speed must be positive") }
        self.url = url
        self.chargePointId = id
        self.password = password
        self.connectors = connectors
        self.maxPowerKW = maxPowerKW
        self.speed = speed
    }

    /// Meter values every 10 s / speed, never more often than every 0.2 s.
    public var meterInterval: Duration { .seconds(max(Self.sampleIntervalSeconds / speed, 0.2)) }

    /// `Basic base64(chargePointId:password)`, or nil without a password.
    public var authorizationHeader: String? {
        password.map { "Basic " + Data("\(chargePointId):\($0)".utf8).base64EncodedString() }
    }
}
