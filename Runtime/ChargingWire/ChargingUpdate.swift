/// A message on `charging/updates`: the plain-text form (a bare status word, `Charging` or `Stopped`), or
/// JSON `{status, chargingPointId?, sessionId?, userId?, vehicleId?, maxPower?, targetCharge?}` (plus
/// `batteryCapacity?` and `currentCharge?`, as on `POST /start`). A JSON string (`"Charging"`) counts as
/// the plain-text form. The shape only: which statuses exist, defaults and ranges are ChargingCore's.
public struct ChargingUpdate: Codable, Sendable, Hashable {
    /// The requested status as written (`Charging`, `Stopped`; the domain decides which spellings count).
    public var status: String
    public var chargingPointId: String?
    public var sessionId: String?
    public var userId: String?
    public var vehicleId: String?
    /// kW.
    public var maxPower: Double?
    /// Percent.
    public var targetCharge: Double?
    /// kWh.
    public var batteryCapacity: Double?
    /// Percent.
    public var currentCharge: Double?

    /// A message with these members; absent ones are nil (JSON `null` decodes as absent too).
    public init(
        status: String, chargingPointId: String? = nil, sessionId: String? = nil, userId: String? = nil,
        vehicleId: String? = nil, maxPower: Double? = nil, targetCharge: Double? = nil,
        batteryCapacity: Double? = nil, currentCharge: Double? = nil
    ) {
        self.status = status
        self.chargingPointId = chargingPointId
        self.sessionId = sessionId
        self.userId = userId
        self.vehicleId = vehicleId
        self.maxPower = maxPower
        self.targetCharge = targetCharge
        self.batteryCapacity = batteryCapacity
        self.currentCharge = currentCharge
    }

    /// The two encodings of a message.
    public enum Form: Sendable, Hashable {
        /// The bare status word, e.g. `Charging`; only for a message with nothing but a status.
        case plainText
        /// A JSON object, keys sorted, absent members left out.
        case json
    }

    /// The longest bare status word accepted.
    public static let maxPlainTextLength = 32

    /// Decodes a payload in either form (surrounding whitespace ignored). A payload that starts with `{` is
    /// JSON and must be an object, one that starts with `"` a JSON string; anything else must be a bare
    /// word of ASCII letters. Throws a ``ChargingWireError`` naming the member at fault.
    public static func decode(_ payload: some Collection<UInt8>) throws(ChargingWireError) -> ChargingUpdate {
        let bytes = Array(payload)
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { throw ChargingWireError(.malformedPayload, "payload is empty") }
        let text = bytes[first...last]
        switch text.first {
        case UInt8(ascii: "{"):
            return try WireCoding.decode(ChargingUpdate.self, from: text)
        case UInt8(ascii: "\""):
            return ChargingUpdate(status: try WireCoding.decode(String.self, from: text))
        default:
            guard isBareWord(text) else {
                throw ChargingWireError(.malformedPayload, "payload is neither a plain-text status nor a JSON object")
            }
            return ChargingUpdate(status: String(decoding: text, as: UTF8.self))
        }
    }

    /// True when the message carries nothing but its status and that is a bare word (so it has a
    /// plain-text form).
    public var hasPlainTextForm: Bool {
        self == ChargingUpdate(status: status) && Self.isBareWord(Array(status.utf8))
    }

    /// 1…``maxPlainTextLength`` ASCII letters.
    static func isBareWord(_ text: some Collection<UInt8>) -> Bool {
        !text.isEmpty && text.count <= maxPlainTextLength
            && text.allSatisfy { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
    }

    /// The payload bytes in `form`; `.plainText` throws unless ``hasPlainTextForm``.
    public func encoded(_ form: Form = .json) throws(ChargingWireError) -> [UInt8] {
        switch form {
        case .json:
            return try WireCoding.encode(self)
        case .plainText:
            guard hasPlainTextForm else {
                throw ChargingWireError(.unencodable, "only a bare status word has a plain-text form")
            }
            return Array(status.utf8)
        }
    }
}
