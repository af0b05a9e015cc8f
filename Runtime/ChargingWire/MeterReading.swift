/// A meter value a charger publishes on `chargers/{chargingPointId}/meter`:
/// `{sessionId, energyWh, timestamp, seq}`. The shape only; the rules (valid ids, energy never backwards,
/// `seq` order) are ChargingCore's.
public struct MeterReading: Codable, Sendable, Hashable {
    public var sessionId: String
    /// Energy delivered since the session started, Wh (a JSON number; whole Wh by convention).
    public var energyWh: Double
    /// The charger's timestamp (informational): a member that is not a string decodes as nil.
    public var timestamp: String?
    /// The charger's sequence number (a JSON integer).
    public var seq: Int64

    /// A reading with these members.
    public init(sessionId: String, energyWh: Double, timestamp: String? = nil, seq: Int64) {
        self.sessionId = sessionId
        self.energyWh = energyWh
        self.timestamp = timestamp
        self.seq = seq
    }

    enum CodingKeys: String, CodingKey { case sessionId, energyWh, timestamp, seq }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sessionId = try container.decode(String.self, forKey: .sessionId)
        energyWh = try container.decode(Double.self, forKey: .energyWh)
        timestamp = try? container.decodeIfPresent(String.self, forKey: .timestamp)
        if let seq = try? container.decode(Int64.self, forKey: .seq) {
            self.seq = seq
        } else if (try? container.decode(Double.self, forKey: .seq)) != nil {
            // A fraction: name the member (the decoder itself only says "not valid JSON").
            throw DecodingError.typeMismatch(
                Int64.self,
                DecodingError.Context(codingPath: [CodingKeys.seq], debugDescription: "seq is not an integer"))
        } else {
            seq = try container.decode(Int64.self, forKey: .seq)
        }
    }

    /// Decodes a payload; throws a ``ChargingWireError`` naming the member at fault.
    public static func decode(_ payload: some Collection<UInt8>) throws(ChargingWireError) -> MeterReading {
        try WireCoding.decode(MeterReading.self, from: payload)
    }

    /// The payload bytes, keys sorted: `{"energyWh":…,"seq":…,"sessionId":…,"timestamp":…}`.
    public func encoded() throws(ChargingWireError) -> [UInt8] { try WireCoding.encode(self) }
}
