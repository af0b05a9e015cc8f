#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The stored state of a charging session (`status` in the `ChargingSessions` collection).
public enum SessionStatus: String, Sendable, Hashable, CaseIterable {
    /// Energy is flowing; at most one such session per charging point.
    case charging = "Charging"
    /// The session is over; terminal.
    case stopped = "Stopped"

    /// The value `GET /status`, `/sessions` and CSV exports show: `ACTIVE` or `STOPPED`.
    public var wireValue: String {
        switch self {
        case .charging: return "ACTIVE"
        case .stopped: return "STOPPED"
        }
    }

    /// Parses a stored value or a wire value (`Charging`, `Stopped`, `ACTIVE`, `STOPPED`), case-insensitively.
    public init?(anySpelling text: String) {
        switch text.lowercased() {
        case "charging", "active": self = .charging
        case "stopped": self = .stopped
        default: return nil
        }
    }
}

/// Why a session stopped.
public enum StopReason: String, Sendable, Hashable {
    /// `POST /stop` or a `"Stopped"` message on `charging/updates`.
    case requested = "Requested"
    /// A meter value reached the session's `targetEnergyWh`.
    case targetReached = "TargetReached"
    /// No meter value arrived for too long (`ExpireSessions`, ``ChargingService/expireIdle(idleMilliseconds:limit:logger:)``).
    case timeout = "Timeout"
    /// A remote start whose StartTransaction never came (OCPP), or a pending one stopped before it did.
    case notStarted = "NotStarted"
    // The OCPP 1.6 `Reason`s of StopTransaction (absent there = `Local`).
    case emergencyStop = "EmergencyStop"
    case evDisconnected = "EVDisconnected"
    case hardReset = "HardReset"
    case local = "Local"
    case other = "Other"
    case powerLoss = "PowerLoss"
    case reboot = "Reboot"
    case remote = "Remote"
    case softReset = "SoftReset"
    case unlockCommand = "UnlockCommand"
    case deAuthorized = "DeAuthorized"
}

/// One charging session, as stored (energy in integer Wh, times in milliseconds since the epoch,
/// cost in integer cents).
public struct ChargingSession: Sendable, Hashable {
    public var sessionId: String
    public var chargingPointId: String
    public var userId: String
    public var vehicleId: String
    public var status: SessionStatus
    /// Start, milliseconds since the epoch.
    public var startTime: Int64
    /// End, milliseconds since the epoch; nil while charging.
    public var endTime: Int64?
    /// Energy delivered so far, Wh.
    public var energyWh: Int64
    /// Requested maximum power, kW.
    public var maxPower: Double
    /// Requested state of charge at which to stop, percent.
    public var targetCharge: Double
    /// Energy after which the session stops by itself (`TargetReached`).
    public var targetEnergyWh: Int64
    /// The highest meter sequence number applied so far (-1 before the first meter value).
    public var lastMeterSeq: Int64
    public var stopReason: StopReason?
    /// Final cost in cents of `currency`; nil while charging.
    public var costCents: Int64?
    public var currency: String
    /// Server time (ms) at which the last applied meter value arrived; nil before the first one.
    public var lastReadingAt: Int64?
    /// Meter values refused as physically impossible or out of bounds (``MeterPlausibility``).
    public var rejectedReadings: Int64
    /// The tariff in force when the session started, used for its cost; nil for sessions stored before
    /// evcsm kept it (they are priced with the current tariff).
    public var tariff: Tariff?
    /// The OCPP connector (1, 2, …) of an OCPP session; nil for REST and MQTT sessions. A session is an OCPP
    /// session iff this is set.
    public var connectorId: Int?
    /// The OCPP idTag the transaction runs under.
    public var idTag: String?
    /// The meter register at StartTransaction (`meterStart`), Wh; energy = register − this.
    public var meterStartWh: Int64?
    /// The OCPP transaction id; nil before StartTransaction (a pending remote start).
    public var transactionId: Int64?

    public init(
        sessionId: String, chargingPointId: String, userId: String, vehicleId: String,
        status: SessionStatus = .charging,
        startTime: Int64, endTime: Int64? = nil, energyWh: Int64 = 0, maxPower: Double, targetCharge: Double,
        targetEnergyWh: Int64, lastMeterSeq: Int64 = -1, stopReason: StopReason? = nil, costCents: Int64? = nil,
        currency: String, lastReadingAt: Int64? = nil, rejectedReadings: Int64 = 0, tariff: Tariff? = nil,
        connectorId: Int? = nil, idTag: String? = nil, meterStartWh: Int64? = nil, transactionId: Int64? = nil
    ) {
        self.sessionId = sessionId
        self.chargingPointId = chargingPointId
        self.userId = userId
        self.vehicleId = vehicleId
        self.status = status
        self.startTime = startTime
        self.endTime = endTime
        self.energyWh = energyWh
        self.maxPower = maxPower
        self.targetCharge = targetCharge
        self.targetEnergyWh = targetEnergyWh
        self.lastMeterSeq = lastMeterSeq
        self.stopReason = stopReason
        self.costCents = costCents
        self.currency = currency
        self.lastReadingAt = lastReadingAt
        self.rejectedReadings = rejectedReadings
        self.tariff = tariff
        self.connectorId = connectorId
        self.idTag = idTag
        self.meterStartWh = meterStartWh
        self.transactionId = transactionId
    }

    /// The id of the lock document that holds this session's connector (``lockId(chargingPointId:connectorId:)``).
    public var lockId: String { Self.lockId(chargingPointId: chargingPointId, connectorId: connectorId) }

    /// The lock of connector `connectorId` of a point: the point's id for connector ≤ 1 or none (so REST and MQTT
    /// points, with one connector, keep their one-session rule), `"<point>/<connector>"` from connector 2 on (`/`
    /// cannot be in a chargePointId).
    public static func lockId(chargingPointId: String, connectorId: Int?) -> String {
        guard let connectorId, connectorId >= 2 else { return chargingPointId }
        return "\(chargingPointId)/\(connectorId)"
    }

    /// The last sign of life (ms): the last applied meter value, or the start before the first one. Stored as
    /// `lastActivity` so that finding idle sessions is one indexed range.
    public var lastActivity: Int64 { Swift.max(startTime, lastReadingAt ?? startTime) }

    /// The tariff that prices this session: the one stored at its start, else `current`.
    public func pricing(current: Tariff) -> Tariff { tariff ?? current }

    /// Energy in kWh, as on the wire (three decimals: the stored value is whole Wh).
    public var energyConsumed: Double { Double(energyWh) / 1000 }

    /// Whole minutes from start to end (or to `now` while charging).
    public func durationMinutes(now: Int64) -> Int64 {
        max(0, ((endTime ?? now) - startTime) / 60_000)
    }

    /// The stored cost when stopped, otherwise the running cost so far under the session's own tariff
    /// (`current` for sessions stored without one).
    public func costCents(now: Int64, tariff current: Tariff) -> Int64 {
        costCents ?? pricing(current: current).costCents(energyWh: energyWh, minutes: durationMinutes(now: now))
    }

    /// The state-machine transition `Charging → Stopped`: fixes end time, reason and cost, priced with the
    /// tariff stored at the start (`current` only for sessions stored without one).
    /// Stopping a stopped session returns it unchanged (a stop is idempotent).
    public func stopped(at endTime: Int64, reason: StopReason, tariff current: Tariff) -> ChargingSession {
        guard status == .charging else { return self }
        let tariff = pricing(current: current)
        var session = self
        session.status = .stopped
        session.endTime = max(endTime, startTime)
        session.stopReason = reason
        // A session the charger never started costs nothing (no session fee either).
        session.costCents =
            reason == .notStarted
            ? 0 : tariff.costCents(energyWh: energyWh, minutes: session.durationMinutes(now: endTime))
        session.currency = tariff.currency
        return session
    }
}
