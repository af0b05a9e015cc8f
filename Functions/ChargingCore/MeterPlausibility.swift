import ChargingWire
import FunctionRuntime

/// What a meter value must satisfy to be applied to a `Charging` session (docs/METER.md).
///
/// - `energyWh` is finite, at least 0 and at most what the session's `maxPower` can deliver from its start to
///   now on the server's clock, plus a tolerance:
///   `maxPower [kW] × 1000 × elapsed [h] × timeScale × (1 + powerTolerance) + toleranceWh`
///   (never above ``DataAPISessionStore/maximumEnergyWh``). `powerTolerance` covers meter and power-rating
///   error, `toleranceWh` clock skew and the latency between the start and the charger's first joule.
/// - `seq` is in `0...maximumSeq` (2^53, exact as a JSON number everywhere) and at most
///   ``seqWindow`` above the session's `lastMeterSeq` (above 0 before the first reading), so one huge
///   `seq` can never make every later reading of the session look old.
///
/// A rejected reading is not applied; it is logged and counted (`rejectedReadings`, metric `RejectedReadings`).
public struct MeterPlausibility: Sendable, Hashable {
    /// How far above `maxPower` the average power may be: 0.10 = 10 %.
    public var powerTolerance: Double
    /// Energy allowed on top of the power bound, Wh.
    public var toleranceWh: Int64
    /// Time acceleration of a simulated charger (`evcsm-local --speed`): elapsed time counts this many times.
    /// 1 in production.
    public var timeScale: Double

    /// The highest `seq` accepted: 2^53.
    public static let maximumSeq: Int64 = 1 << 53
    /// How far above the last applied `seq` a reading's `seq` may be.
    public static let seqWindow: Int64 = 1_000_000
    /// The power assumed for a stored session without a positive `maxPower` (the highest `/start` accepts), kW.
    static let fallbackMaxPower = StartRequest.maxPowerRange.upperBound

    public init(powerTolerance: Double = 0.10, toleranceWh: Int64 = 100, timeScale: Double = 1) {
        self.powerTolerance = powerTolerance
        self.toleranceWh = toleranceWh
        self.timeScale = timeScale
    }

    /// Reads `METER_POWER_TOLERANCE` (fraction, default 0.10), `METER_TOLERANCE_WH` (default 100) and
    /// `METER_TIME_SCALE` (at least 1, default 1). Errors name the variable.
    public static func fromEnvironment(_ env: FunctionEnvironment) throws(FunctionRuntimeError) -> MeterPlausibility {
        let defaults = MeterPlausibility()
        let plausibility = MeterPlausibility(
            powerTolerance: try env.double("METER_POWER_TOLERANCE", default: defaults.powerTolerance),
            toleranceWh: Int64(try env.double("METER_TOLERANCE_WH", default: Double(defaults.toleranceWh))),
            timeScale: try env.double("METER_TIME_SCALE", default: defaults.timeScale))
        if !(0...100).contains(plausibility.powerTolerance) {
            throw FunctionRuntimeError(
                .invalidEnvironment, "environment variable METER_POWER_TOLERANCE must be between 0 and 100")
        }
        if !(0...1_000_000).contains(plausibility.toleranceWh) {
            throw FunctionRuntimeError(
                .invalidEnvironment, "environment variable METER_TOLERANCE_WH must be between 0 and 1000000")
        }
        if !(1...10_000).contains(plausibility.timeScale) {
            throw FunctionRuntimeError(
                .invalidEnvironment, "environment variable METER_TIME_SCALE must be between 1 and 10000")
        }
        return plausibility
    }

    /// The most energy `session` can hold by `now` (server ms), Wh.
    public func maximumEnergyWh(_ session: ChargingSession, now: Int64) -> Int64 {
        let power = session.maxPower > 0 && session.maxPower.isFinite ? session.maxPower : Self.fallbackMaxPower
        let hours = Double(max(0, now - session.startTime)) / 3_600_000
        let bound = (power * 1000 * hours * timeScale * (1 + powerTolerance)).rounded(.down) + Double(toleranceWh)
        let ceiling = DataAPISessionStore.maximumEnergyWh
        return bound.isFinite && bound < Double(ceiling) ? Int64(bound) : ceiling
    }

    /// Why `reading` cannot be applied to `session` at `now`, or nil when it can.
    public func rejection(of reading: MeterReading, session: ChargingSession, now: Int64) -> String? {
        if let problem = energyRejection(reading.energyWh, session: session, now: now) { return problem }
        guard (0...Self.maximumSeq).contains(reading.seq) else { return "seq is outside 0...2^53" }
        let base = max(session.lastMeterSeq, 0)
        guard reading.seq <= base + Self.seqWindow else {
            return
                "seq \(reading.seq) is more than \(Self.seqWindow) above the last applied seq \(session.lastMeterSeq)"
        }
        return nil
    }

    /// Why `energyWh` cannot be `session`'s energy at `now` (not finite, negative, or above what its `maxPower`
    /// can deliver since the start), or nil when it can. The energy half of ``rejection(of:session:now:)``; OCPP
    /// meter values, whose sequence is their timestamp, are checked with this alone.
    public func energyRejection(_ energyWh: Double, session: ChargingSession, now: Int64) -> String? {
        guard energyWh.isFinite else { return "energyWh is not a finite number" }
        guard energyWh >= 0 else { return "energyWh is negative" }
        let limit = maximumEnergyWh(session, now: now)
        guard energyWh.rounded() <= Double(limit) else {
            return "energyWh \(Int64(min(energyWh, 9e18))) exceeds the \(limit) Wh that "
                + "\(session.maxPower) kW can deliver since the start"
        }
        return nil
    }
}
