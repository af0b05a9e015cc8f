/// The `session/updates` message the functions publish after every session change:
/// `{sessionId, chargingPointId, status, energyConsumed, cost, durationMinutes, timestamp}`.
/// Screens and chargers subscribe to it. Encoded with ``WireCoding/encoder`` (keys sorted).
public struct SessionUpdate: Codable, Sendable, Hashable {
    public var sessionId: String
    public var chargingPointId: String
    /// `Charging` or `Stopped` (the stored values screens show).
    public var status: String
    /// kWh, three decimals.
    public var energyConsumed: Double
    /// Final cost when stopped, running cost so far while charging.
    public var cost: Double
    /// Whole minutes since the start (to the end once stopped).
    public var durationMinutes: Int64
    /// When the message was made (ISO-8601 UTC with `Z`).
    public var timestamp: String

    /// A message with these members.
    public init(
        sessionId: String, chargingPointId: String, status: String, energyConsumed: Double, cost: Double,
        durationMinutes: Int64, timestamp: String
    ) {
        self.sessionId = sessionId
        self.chargingPointId = chargingPointId
        self.status = status
        self.energyConsumed = energyConsumed
        self.cost = cost
        self.durationMinutes = durationMinutes
        self.timestamp = timestamp
    }

    /// Decodes a payload; throws a ``ChargingWireError`` naming the member at fault.
    public static func decode(_ payload: some Collection<UInt8>) throws(ChargingWireError) -> SessionUpdate {
        try WireCoding.decode(SessionUpdate.self, from: payload)
    }

    /// The payload bytes (sorted keys).
    public func encoded() throws(ChargingWireError) -> [UInt8] { try WireCoding.encode(self) }
}
