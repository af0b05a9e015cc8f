/// MQTT topics of DESIGN.md §1.
public enum Topics {
    /// Out: ``SessionUpdate``, published by the functions after every session change.
    public static let sessionUpdates = "session/updates"
    /// In: ``ChargingUpdate`` from screens (functions never publish here).
    public static let chargingUpdates = "charging/updates"

    /// In: the ``MeterReading`` topic of one charger, `chargers/{chargingPointId}/meter`.
    public static func meter(chargingPointId: String) -> String { "chargers/\(chargingPointId)/meter" }

    /// The charging point of a `chargers/{chargingPointId}/meter` topic, or nil for another topic.
    public static func meterChargingPoint(_ topic: String) -> String? {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "chargers", parts[2] == "meter", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }
}
