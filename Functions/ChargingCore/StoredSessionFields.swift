import BSON

/// The top-level fields of a stored session document that ``DataAPISessionStore`` reads.
enum StoredSessionField: Int, CaseIterable {
    case id, sessionId, chargingPointId, userId, vehicleId, status, startTime, endTime, energyWh, energyConsumed
    case maxPower, targetCharge, targetEnergyWh, lastMeterSeq, stopReason, cost, currency, lastReadingAt
    case rejectedReadings, tariff, connectorId, idTag, meterStart, transactionId

    /// The stored key.
    var name: String { Self.names[rawValue] }

    static let names: [String] = allCases.map { field in
        field == .id ? "_id" : String(describing: field)
    }

    /// The fields as ``DataAPIClient`` reads them from a `find` reply, slot = raw value.
    static let extendedJSONFields = ExtendedJSONFields(names)
}

/// Where a session is read from: a stored ``Document``, or one row of ``ExtendedJSONRows`` read straight from a
/// reply. Both give the same value for a field, so one decoding serves both.
protocol StoredSessionFields {
    /// The stored value of `field`, nil when absent.
    subscript(field: StoredSessionField) -> BSONValue? { get }
}

extension Document: StoredSessionFields {
    subscript(field: StoredSessionField) -> BSONValue? { self[field.name] }
}

/// Row `row` of a reply read as ``StoredSessionField/extendedJSONFields``.
struct StoredSessionRow: StoredSessionFields {
    let rows: ExtendedJSONRows
    let row: Int

    subscript(field: StoredSessionField) -> BSONValue? { rows[row, field.rawValue] }
}

extension ExtendedJSONRows {
    /// The rows as stored sessions (the rows must have been read as ``StoredSessionField/extendedJSONFields``).
    var storedSessions: [StoredSessionRow] { (0..<count).map { StoredSessionRow(rows: self, row: $0) } }
}
