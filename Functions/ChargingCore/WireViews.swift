import ChargingWire
import Essentials
import FunctionRuntime

/// A session as `GET /status`, `GET /sessions` and `GET /sessions/{id}` return it.
public struct SessionView: JSONBytesEncodable, Sendable, Hashable {
    public let sessionId: String
    public let chargingPointId: String
    /// Nil (left out of the JSON) when the caller may see the point's state but not whose session it is.
    public let userId: String?
    /// Nil (left out of the JSON) together with `userId`.
    public let vehicleId: String?
    /// `ACTIVE` or `STOPPED`.
    public let status: String
    public let startTime: String
    /// Nil (JSON `null`) while charging.
    public let endTime: String?
    /// kWh, three decimals.
    public let energyConsumed: Double
    public let durationMinutes: Int64
    public let maxPower: Double
    public let targetCharge: Double
    /// Final cost when stopped, running cost so far while charging.
    public let cost: Double
    public let currency: String
    public let stopReason: String?
    /// Meter values refused as implausible (``MeterPlausibility``).
    public let rejectedReadings: Int64
    /// The OCPP connector of an OCPP session; left out of the JSON for the others.
    public let connectorId: Int?
    /// The OCPP transaction id once StartTransaction arrived; left out of the JSON otherwise.
    public let transactionId: Int64?

    /// The view of `session`; without `showingOwner` the owner fields (`userId`, `vehicleId`) are left out.
    public init(_ session: ChargingSession, now: Int64, tariff: Tariff, showingOwner: Bool = true) {
        sessionId = session.sessionId
        chargingPointId = session.chargingPointId
        userId = showingOwner ? session.userId : nil
        vehicleId = showingOwner ? session.vehicleId : nil
        status = session.status.wireValue
        startTime = Timestamp.format(milliseconds: session.startTime)
        endTime = session.endTime.map { Timestamp.format(milliseconds: $0) }
        energyConsumed = session.energyConsumed
        durationMinutes = session.durationMinutes(now: now)
        maxPower = session.maxPower
        targetCharge = session.targetCharge
        cost = WireNumber.money(cents: session.costCents(now: now, tariff: tariff))
        currency = session.status == .stopped ? session.currency : session.pricing(current: tariff).currency
        stopReason = session.stopReason?.rawValue
        rejectedReadings = session.rejectedReadings
        connectorId = session.connectorId
        transactionId = session.transactionId
    }

    enum CodingKeys: String, CodingKey {
        case sessionId, chargingPointId, userId, vehicleId, status, startTime, endTime, energyConsumed
        case durationMinutes, maxPower, targetCharge, cost, currency, stopReason, rejectedReadings
        case connectorId, transactionId
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sessionId, forKey: .sessionId)
        try c.encode(chargingPointId, forKey: .chargingPointId)
        try c.encodeIfPresent(userId, forKey: .userId)
        try c.encodeIfPresent(vehicleId, forKey: .vehicleId)
        try c.encode(status, forKey: .status)
        try c.encode(startTime, forKey: .startTime)
        try c.encode(endTime, forKey: .endTime)
        try c.encode(energyConsumed, forKey: .energyConsumed)
        try c.encode(durationMinutes, forKey: .durationMinutes)
        try c.encode(maxPower, forKey: .maxPower)
        try c.encode(targetCharge, forKey: .targetCharge)
        try c.encode(cost, forKey: .cost)
        try c.encode(currency, forKey: .currency)
        try c.encode(stopReason, forKey: .stopReason)
        try c.encode(rejectedReadings, forKey: .rejectedReadings)
        try c.encodeIfPresent(connectorId, forKey: .connectorId)
        try c.encodeIfPresent(transactionId, forKey: .transactionId)
    }

    /// The JSON of ``encode(to:)``, written directly (keys in the encoder's sorted order).
    public func writeJSON(to out: inout JSONBytesWriter) throws(JSONBytesWriter.Unencodable) {
        out.beginObject()
        out.member("chargingPointId", chargingPointId)
        if let connectorId {
            out.key("connectorId")
            out.integer(Int64(connectorId))
        }
        out.key("cost")
        try out.double(cost)
        out.member("currency", currency)
        out.key("durationMinutes")
        out.integer(durationMinutes)
        out.memberOrNull("endTime", endTime)
        out.key("energyConsumed")
        try out.double(energyConsumed)
        out.key("maxPower")
        try out.double(maxPower)
        out.key("rejectedReadings")
        out.integer(rejectedReadings)
        out.member("sessionId", sessionId)
        out.member("startTime", startTime)
        out.member("status", status)
        out.memberOrNull("stopReason", stopReason)
        out.key("targetCharge")
        try out.double(targetCharge)
        if let transactionId {
            out.key("transactionId")
            out.integer(transactionId)
        }
        out.member("userId", userId)
        out.member("vehicleId", vehicleId)
        out.endObject()
    }

    /// The CSV header of ``csvRow``.
    public static let csvHeader =
        "sessionId,chargingPointId,userId,vehicleId,status,startTime,endTime,energyConsumed,durationMinutes,"
        + "maxPower,targetCharge,cost,currency,stopReason"

    /// One CSV line (RFC 4180 quoting), energy with three and cost with two decimals.
    public func csvRow(energyWh: Int64, costCents: Int64) -> String {
        [
            sessionId, chargingPointId, userId ?? "", vehicleId ?? "", status, startTime, endTime ?? "",
            WireNumber.kWhText(energyWh: energyWh), String(durationMinutes), Self.plain(maxPower),
            Self.plain(targetCharge), WireNumber.moneyText(cents: costCents), currency, stopReason ?? "",
        ].map(Self.csvField).joined(separator: ",")
    }

    static func plain(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// RFC 4180: a field with a comma, quote, CR or LF is quoted. Checked on bytes, because `"\r\n"` is one
    /// `Character` in Swift and equals neither `"\r"` nor `"\n"`.
    static func csvField(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }
}

/// `201` body of `POST /start`.
public struct StartResponse: Encodable, Sendable, Hashable {
    public let sessionId: String
    /// Always `STARTED`.
    public let status: String
    public let startTime: String
    public let message: String
    /// Minutes to reach `targetCharge` at `maxPower`.
    public let estimatedDuration: Int64
    public let chargingPointId: String
    public let userId: String
    public let vehicleId: String
    public let maxPower: Double
    public let targetCharge: Double
    /// kWh after which the session stops by itself.
    public let targetEnergy: Double

    public init(_ session: ChargingSession, estimate: ChargingEstimate) {
        sessionId = session.sessionId
        status = "STARTED"
        startTime = Timestamp.format(milliseconds: session.startTime)
        message = "Charging session started on \(session.chargingPointId)"
        estimatedDuration = estimate.durationMinutes
        chargingPointId = session.chargingPointId
        userId = session.userId
        vehicleId = session.vehicleId
        maxPower = session.maxPower
        targetCharge = session.targetCharge
        targetEnergy = Double(session.targetEnergyWh) / 1000
    }
}

/// `200` body of `POST /stop`.
public struct StopResponse: Encodable, Sendable, Hashable {
    public let sessionId: String
    /// Always `STOPPED`.
    public let status: String
    public let chargingPointId: String
    public let startTime: String
    public let endTime: String
    /// kWh, three decimals.
    public let energyConsumed: Double
    public let durationMinutes: Int64
    public let cost: Double
    public let currency: String
    public let stopReason: String
    public let message: String

    public init(_ outcome: StopOutcome) {
        let session = outcome.session
        let end = session.endTime ?? session.startTime
        sessionId = session.sessionId
        status = "STOPPED"
        chargingPointId = session.chargingPointId
        startTime = Timestamp.format(milliseconds: session.startTime)
        endTime = Timestamp.format(milliseconds: end)
        energyConsumed = session.energyConsumed
        durationMinutes = session.durationMinutes(now: end)
        cost = WireNumber.money(cents: session.costCents ?? 0)
        currency = session.currency
        stopReason = (session.stopReason ?? .requested).rawValue
        message =
            outcome.wasAlreadyStopped
            ? "Charging session was already stopped" : "Charging session stopped"
    }
}

/// `200` body of `GET /sessions`.
public struct SessionListResponse: JSONBytesEncodable, Sendable, Hashable {
    public let sessions: [SessionView]
    /// Pass as `cursor` to get the next page; `null` on the last page.
    public let nextCursor: String?

    public init(sessions: [SessionView], nextCursor: String?) {
        self.sessions = sessions
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey { case sessions, nextCursor }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sessions, forKey: .sessions)
        try c.encode(nextCursor, forKey: .nextCursor)
    }

    /// A row is about 450 bytes of JSON.
    public var estimatedJSONBytes: Int { 128 + 512 * sessions.count }

    /// The JSON of ``encode(to:)``, written directly.
    public func writeJSON(to out: inout JSONBytesWriter) throws(JSONBytesWriter.Unencodable) {
        out.beginObject()
        out.memberOrNull("nextCursor", nextCursor)
        out.key("sessions")
        out.beginArray()
        for session in sessions { try session.writeJSON(to: &out) }
        out.endArray()
        out.endObject()
    }
}

extension SessionUpdate {
    /// The message for `session` at `now`: status as stored (`Charging` / `Stopped`), running cost while
    /// charging.
    public init(_ session: ChargingSession, now: Int64, tariff: Tariff) {
        self.init(
            sessionId: session.sessionId, chargingPointId: session.chargingPointId, status: session.status.rawValue,
            energyConsumed: session.energyConsumed,
            cost: WireNumber.money(cents: session.costCents(now: now, tariff: tariff)),
            durationMinutes: session.durationMinutes(now: now), timestamp: Timestamp.format(milliseconds: now))
    }
}
