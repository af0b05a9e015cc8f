import BSON
import Essentials

extension DataAPISessionStore {
    // MARK: - Mapping

    /// The Data API filter of a query (cursor as `$or` on start time, then id).
    static func filter(_ query: SessionQuery) -> Document {
        var filter = Document()
        if let chargingPointId = query.chargingPointId { filter["chargingPointId"] = .string(chargingPointId) }
        if let userId = query.userId { filter["userId"] = .string(userId) }
        if let status = query.status { filter["status"] = .string(status.rawValue) }
        if query.from != nil || query.to != nil {
            var range = Document()
            if let from = query.from { range["$gte"] = .datetime(from) }
            if let to = query.to { range["$lte"] = .datetime(to) }
            filter["startTime"] = .document(range)
        }
        if let after = query.after {
            filter["$or"] = [
                ["startTime": ["$lt": .datetime(after.startTime)]],
                ["startTime": .datetime(after.startTime), "_id": ["$lt": .string(after.sessionId)]],
            ]
        }
        return filter
    }

    /// The stored document of a session; the OCPP fields (`connectorId`, `idTag`, `meterStart`, `transactionId`)
    /// only when set.
    static func document(_ s: ChargingSession) -> Document {
        var document: Document = [
            "_id": .string(s.sessionId), "sessionId": .string(s.sessionId),
            "chargingPointId": .string(s.chargingPointId), "userId": .string(s.userId),
            "vehicleId": .string(s.vehicleId), "status": .string(s.status.rawValue),
            "startTime": .datetime(s.startTime),
            "endTime": s.endTime.map { .datetime($0) } ?? .null, "energyWh": .int64(s.energyWh),
            "energyConsumed": .double(s.energyConsumed), "maxPower": .double(s.maxPower),
            "targetCharge": .double(s.targetCharge), "targetEnergyWh": .int64(s.targetEnergyWh),
            "lastMeterSeq": .int64(s.lastMeterSeq), "stopReason": s.stopReason.map { .string($0.rawValue) } ?? .null,
            "cost": s.costCents.map { .double(WireNumber.money(cents: $0)) } ?? .null, "currency": .string(s.currency),
            "lastReadingAt": s.lastReadingAt.map { .datetime($0) } ?? .null, "lastActivity": .datetime(s.lastActivity),
            "rejectedReadings": .int64(s.rejectedReadings), "tariff": s.tariff.map(tariffDocument) ?? .null,
        ]
        if let connectorId = s.connectorId { document["connectorId"] = .int64(Int64(connectorId)) }
        if let idTag = s.idTag { document["idTag"] = .string(idTag) }
        if let meterStart = s.meterStartWh { document["meterStart"] = .int64(meterStart) }
        if let transactionId = s.transactionId { document["transactionId"] = .int64(transactionId) }
        return document
    }

    /// A tariff as stored on a session: `{perKWh, sessionFee, perMinute, currency}`.
    static func tariffDocument(_ t: Tariff) -> BSONValue {
        [
            "perKWh": .double(t.perKWh), "sessionFee": .double(t.sessionFee), "perMinute": .double(t.perMinute),
            "currency": .string(t.currency),
        ]
    }

    /// The stored tariff of a session; nil when absent (documents written before evcsm stored it) or not a
    /// complete tariff of finite, non-negative rates, so the session is priced with the current tariff.
    static func tariff(_ value: BSONValue?) -> Tariff? {
        guard case .document(let d)? = value, let currency = d["currency"]?.stringValue else { return nil }
        let rates = ["perKWh", "sessionFee", "perMinute"].compactMap { name -> Double? in
            guard let value = d[name], value.isNumber, let rate = value.doubleValue, rate.isFinite, rate >= 0 else {
                return nil
            }
            return rate
        }
        guard rates.count == 3 else { return nil }
        return Tariff(perKWh: rates[0], sessionFee: rates[1], perMinute: rates[2], currency: currency)
    }

    /// A session from a stored document; nil when it is unreadable (see ``decodeSession(_:)``).
    static func session(from d: Document) -> ChargingSession? { try? decodeSession(d).get() }

    /// A session from a stored document, or what makes it unreadable: a missing id, charging point or start
    /// time, a `status` other than the two spellings evcsm writes (`Charging`, `Stopped`: anything else could
    /// never match the guarded updates and would be stuck), or a number that is not finite or out of range.
    static func decodeSession(_ d: some StoredSessionFields) -> Result<ChargingSession, ChargingError> {
        func unreadable(_ problem: String) -> Result<ChargingSession, ChargingError> {
            .failure(ChargingError(.storeContention, "stored session is unreadable: \(problem)"))
        }
        guard let sessionId = d[.sessionId]?.stringValue ?? d[.id]?.stringValue else { return unreadable("no id") }
        guard let chargingPointId = d[.chargingPointId]?.stringValue else { return unreadable("no chargingPointId") }
        guard let status = d[.status]?.stringValue.flatMap(SessionStatus.init(rawValue:)) else {
            return unreadable("status must be Charging or Stopped")
        }
        guard let startTime = date(d[.startTime]) else { return unreadable("no startTime") }
        let energyWh: Int64
        if let stored = d[.energyWh] {
            guard let wh = stored.int64Value, (0...maximumEnergyWh).contains(wh) else {
                return unreadable("energyWh out of range")
            }
            energyWh = wh
        } else if let kWh = d[.energyConsumed] {
            guard let wh = scaled(kWh, by: 1000), (0...maximumEnergyWh).contains(wh) else {
                return unreadable("energyConsumed out of range")
            }
            energyWh = wh
        } else {
            energyWh = 0
        }
        var costCents: Int64?
        if let cost = d[.cost], !cost.isNull {
            guard let cents = scaled(cost, by: 100) else { return unreadable("cost out of range") }
            costCents = cents
        }
        let maxPower = d[.maxPower]?.doubleValue ?? 0
        let targetCharge = d[.targetCharge]?.doubleValue ?? 0
        guard maxPower.isFinite, targetCharge.isFinite else { return unreadable("maxPower or targetCharge not finite") }
        return .success(
            ChargingSession(
                sessionId: sessionId, chargingPointId: chargingPointId, userId: d[.userId]?.stringValue ?? "unknown",
                vehicleId: d[.vehicleId]?.stringValue ?? "unknown", status: status, startTime: startTime,
                endTime: date(d[.endTime]), energyWh: energyWh, maxPower: maxPower, targetCharge: targetCharge,
                targetEnergyWh: d[.targetEnergyWh]?.int64Value ?? 0, lastMeterSeq: d[.lastMeterSeq]?.int64Value ?? -1,
                stopReason: d[.stopReason]?.stringValue.flatMap(StopReason.init(rawValue:)), costCents: costCents,
                currency: d[.currency]?.stringValue ?? "EUR", lastReadingAt: date(d[.lastReadingAt]),
                rejectedReadings: max(0, d[.rejectedReadings]?.int64Value ?? 0), tariff: tariff(d[.tariff]),
                connectorId: d[.connectorId]?.int64Value.flatMap { Int(exactly: $0) }, idTag: d[.idTag]?.stringValue,
                meterStartWh: d[.meterStart]?.int64Value, transactionId: d[.transactionId]?.int64Value))
    }

    /// The most energy a stored session may hold: 10 GWh, far above any battery, far below Int64 overflow.
    static let maximumEnergyWh: Int64 = 10_000_000_000

    /// `value × factor` rounded to an integer; nil for non-numbers, NaN, ±∞ and magnitudes beyond 1e15.
    static func scaled(_ value: BSONValue, by factor: Double) -> Int64? {
        guard let number = value.doubleValue else { return nil }
        let product = (number * factor).rounded()
        guard product.isFinite, abs(product) <= 1e15 else { return nil }
        return Int64(product)
    }

    /// The keyset position of a stored document (its `startTime` and string `_id`), when it has both.
    static func cursor(after d: some StoredSessionFields) -> SessionCursor? {
        guard let startTime = date(d[.startTime]), let id = d[.id]?.stringValue else { return nil }
        return SessionCursor(startTime: startTime, sessionId: id)
    }

    static func date(_ value: BSONValue?) -> Int64? {
        if let ms = value?.datetimeValue { return ms }
        return value?.stringValue.flatMap(Timestamp.parseMilliseconds)
    }
}
