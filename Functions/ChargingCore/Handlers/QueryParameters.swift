import Essentials
import FunctionRuntime

/// Validated access to an HTTP request's query string; errors name the parameter.
struct QueryParameters {
    let request: APIGatewayV2Request

    init(_ request: APIGatewayV2Request) { self.request = request }

    /// A present parameter; nil when absent. A parameter that is present but empty (`?to=`) is a 400, as the
    /// OpenAPI document says: it is not a value of its type.
    func value(_ name: String) throws(ChargingError) -> String? {
        guard let value = request.query(name) else { return nil }
        guard !value.isEmpty else { throw .invalid(name, "must not be empty (leave it out instead)") }
        return value
    }

    func id(_ name: String) throws(ChargingError) -> String? {
        guard let value = try value(name) else { return nil }
        guard StartRequest.isValidID(value) else {
            throw .invalid(name, "must be 1-\(StartRequest.maxIDLength) characters from A-Z a-z 0-9 . _ : -")
        }
        return value
    }

    /// An ISO-8601 date-time, or a date (`from` = start of that day, `to` = its last millisecond).
    func time(_ name: String, endOfDay: Bool) throws(ChargingError) -> Int64? {
        guard let value = try value(name) else { return nil }
        if let ms = Timestamp.parseMilliseconds(value) { return ms }
        if value.utf8.count == 10, let ms = Timestamp.parseMilliseconds(value + "T00:00:00Z") {
            return endOfDay ? ms + 86_400_000 - 1 : ms
        }
        throw .invalid(name, "must be an ISO-8601 date-time like 2026-11-26T11:09:55Z or a date like 2026-11-26")
    }

    /// The `status` spellings `GET /sessions` takes: the wire's and the store's, exactly.
    static let statuses: [String: SessionStatus] = [
        "ACTIVE": .charging, "STOPPED": .stopped, "Charging": .charging, "Stopped": .stopped,
    ]

    /// The ``SessionQuery`` of `GET /sessions`.
    func sessionQuery() throws(ChargingError) -> SessionQuery {
        var query = SessionQuery(chargingPointId: try id("chargingPointId"), userId: try id("userId"))
        if let status = try value("status") {
            guard let parsed = Self.statuses[status] else {
                throw .invalid("status", "must be ACTIVE, STOPPED, Charging or Stopped")
            }
            query.status = parsed
        }
        // `from` after `to` is a valid, empty range (the answer is an empty page), not an error.
        query.from = try time("from", endOfDay: false)
        query.to = try time("to", endOfDay: true)
        if let limit = try value("limit") {
            guard let parsed = Int(limit), (1...SessionQuery.maxLimit).contains(parsed) else {
                throw .invalid("limit", "must be an integer from 1 to \(SessionQuery.maxLimit)")
            }
            query.limit = parsed
        }
        if let cursor = try value("cursor") {
            guard let parsed = SessionCursor(token: cursor) else {
                throw .invalid("cursor", "is not a cursor returned by this API")
            }
            query.after = parsed
        }
        return query
    }
}
