import FunctionRuntime

/// Values used when a request or an MQTT message leaves a field out
/// (`DEFAULT_*` environment variables, read once).
public struct ChargingDefaults: Sendable, Hashable {
    /// `DEFAULT_CHARGING_POINT`, for bare `charging/updates` messages.
    public var chargingPointId: String
    /// `DEFAULT_MAX_POWER`, kW, for bare `charging/updates` messages.
    public var maxPower: Double
    /// `DEFAULT_TARGET_CHARGE`, percent, for bare `charging/updates` messages.
    public var targetCharge: Double
    /// `DEFAULT_BATTERY_CAPACITY`, kWh, when a start request has no `batteryCapacity`.
    public var batteryCapacity: Double
    /// `DEFAULT_CURRENT_CHARGE`, percent, when a start request has no `currentCharge`.
    public var currentCharge: Double
    /// The user and vehicle id of bare `charging/updates` messages.
    public var unknownId: String

    public init(
        chargingPointId: String = "cp-1", maxPower: Double = 11, targetCharge: Double = 80,
        batteryCapacity: Double = 55,
        currentCharge: Double = 40, unknownId: String = "unknown"
    ) {
        self.chargingPointId = chargingPointId
        self.maxPower = maxPower
        self.targetCharge = targetCharge
        self.batteryCapacity = batteryCapacity
        self.currentCharge = currentCharge
        self.unknownId = unknownId
    }

    /// Reads the `DEFAULT_*` variables; an out-of-range value is an init error naming the variable.
    public static func fromEnvironment(_ env: FunctionEnvironment) throws(FunctionRuntimeError) -> ChargingDefaults {
        let d = ChargingDefaults()
        let defaults = ChargingDefaults(
            chargingPointId: env["DEFAULT_CHARGING_POINT"] ?? d.chargingPointId,
            maxPower: try env.double("DEFAULT_MAX_POWER", default: d.maxPower),
            targetCharge: try env.double("DEFAULT_TARGET_CHARGE", default: d.targetCharge),
            batteryCapacity: try env.double("DEFAULT_BATTERY_CAPACITY", default: d.batteryCapacity),
            currentCharge: try env.double("DEFAULT_CURRENT_CHARGE", default: d.currentCharge))
        let checks: [(String, Bool)] = [
            ("DEFAULT_CHARGING_POINT", StartRequest.isValidID(defaults.chargingPointId)),
            ("DEFAULT_MAX_POWER", StartRequest.maxPowerRange.contains(defaults.maxPower) && defaults.maxPower > 0),
            ("DEFAULT_TARGET_CHARGE", StartRequest.targetChargeRange.contains(defaults.targetCharge)),
            ("DEFAULT_BATTERY_CAPACITY", StartRequest.batteryCapacityRange.contains(defaults.batteryCapacity)),
            (
                "DEFAULT_CURRENT_CHARGE",
                StartRequest.currentChargeRange.contains(defaults.currentCharge)
                    && defaults.currentCharge < defaults.targetCharge
            ),
        ]
        for (name, ok) in checks where !ok {
            throw FunctionRuntimeError(.invalidEnvironment, "environment variable \(name) is out of range")
        }
        return defaults
    }
}
