/// How long and how much: the original's formula
/// `estimatedDuration (min) = (targetCharge − currentCharge) % × batteryCapacity / maxPower`.
public struct ChargingEstimate: Sendable, Hashable {
    /// Energy to add to reach `targetCharge`, Wh; the session auto-stops there.
    public let targetEnergyWh: Int64
    /// Minutes at `maxPower`, rounded to the nearest minute.
    public let durationMinutes: Int64

    /// Defaults 55 kWh / 40 %: `maxPower 11, targetCharge 80` → 22 000 Wh, 120 minutes.
    public init(_ request: StartRequest, defaults: ChargingDefaults) {
        let capacity = request.batteryCapacity ?? defaults.batteryCapacity
        // A defaulted currentCharge at or above the target is taken as an empty battery; a stated one means the
        // battery is already there: no energy to add, 0 minutes, and the first meter reading ends the session.
        var current = request.currentCharge ?? defaults.currentCharge
        if request.currentCharge == nil, current >= request.targetCharge { current = 0 }
        let energyKWh = max(0, request.targetCharge - current) / 100 * capacity
        targetEnergyWh = Int64((energyKWh * 1000).rounded())
        // A valid but tiny maxPower (e.g. 1e-300 kW) must not trap the Int64 conversion: saturate.
        let minutes = (energyKWh / request.maxPower * 60).rounded()
        durationMinutes = minutes < 9.2e18 ? Int64(minutes) : Int64.max
    }
}
