import BSON
import Testing

@testable import ChargingCore

/// Sessions read straight from a `find` reply's bytes are the sessions (or the errors) of the general path, which
/// builds a document per row first.
@Suite("Stored session rows")
struct StoredRowsTests {
    static let base =
        #""_id":"s1","chargingPointId":"cp-1","status":"Stopped","startTime":{"$date":{"$numberLong":"1795500000000"}}"#

    static let rows = [
        // As the functions write them, with the OCPP fields and a tariff.
        #"{\#(base),"sessionId":"s1","userId":"u","vehicleId":"v","endTime":{"$date":{"$numberLong":"1795500600000"}},"energyWh":{"$numberLong":"1500"},"energyConsumed":{"$numberDouble":"1.5"},"maxPower":{"$numberDouble":"11.0"},"targetCharge":{"$numberDouble":"80.0"},"targetEnergyWh":{"$numberLong":"22000"},"lastMeterSeq":{"$numberLong":"3"},"stopReason":"Requested","cost":{"$numberDouble":"5.75"},"currency":"EUR","lastReadingAt":null,"lastActivity":{"$date":{"$numberLong":"1795500600000"}},"rejectedReadings":{"$numberLong":"0"},"tariff":{"perKWh":{"$numberDouble":"0.5"},"sessionFee":{"$numberDouble":"5.0"},"perMinute":{"$numberDouble":"0.0"},"currency":"EUR"},"connectorId":{"$numberLong":"2"},"idTag":"TAG","meterStart":{"$numberLong":"100"},"transactionId":{"$numberLong":"7"}}"#,
        // Optional fields missing, relaxed numbers and dates, unknown fields.
        #"{\#(base),"energyConsumed":2.25,"cost":3,"maxPower":22,"energyKWh":1.0,"notes":{"a":[1,2]},"lastReadingAt":{"$date":"2026-11-18T06:40:00Z"}}"#,
        #"{"_id":"s2","chargingPointId":"cp-1","status":"Charging","startTime":"2026-11-18T06:40:00.000Z","rejectedReadings":-4,"connectorId":{"$numberLong":"99999999999999999"}}"#,
        // Bad types and values: the same clear error either way.
        #"{\#(base),"energyWh":"12"}"#, #"{\#(base),"cost":{"$numberDouble":"NaN"}}"#,
        #"{"_id":"s3","chargingPointId":"cp-1","status":"charging","startTime":{"$date":{"$numberLong":"1"}}}"#,
        #"{"_id":5,"chargingPointId":"cp-1","status":"Stopped","startTime":{"$date":{"$numberLong":"1"}}}"#,
        #"{"_id":"s4","status":"Stopped","startTime":{"$date":{"$numberLong":"1"}}}"#, #"{"_id":"s5"}"#, #"{}"#,
        #"{\#(base),"maxPower":{"$numberDouble":"Infinity"}}"#, #"{\#(base),"tariff":{"perKWh":-1,"currency":"EUR"}}"#,
    ]

    /// A decoding outcome as comparable text.
    static func outcome(_ result: Result<ChargingSession, ChargingError>) -> String {
        switch result {
        case .success(let session): return "session \(session)"
        case .failure(let error): return "error \(error.message)"
        }
    }

    @Test("rows decode to the sessions and errors of the documents")
    func sameAsDocuments() throws {
        let reply = Array(#"{"documents":[\#(Self.rows.joined(separator: ","))]}"#.utf8)
        let fast = try #require(
            ExtendedJSON.rows(in: reply, key: "documents", fields: StoredSessionField.extendedJSONFields))
        guard case .array(let items)? = try ExtendedJSON.parseDocument(reply)["documents"] else {
            Issue.record("no documents")
            return
        }
        let documents = items.compactMap(\.documentValue)
        #expect(fast.count == documents.count)
        for (row, document) in zip(fast.storedSessions, documents) {
            let general = DataAPISessionStore.decodeSession(document)
            #expect(Self.outcome(DataAPISessionStore.decodeSession(row)) == Self.outcome(general))
            #expect(DataAPISessionStore.cursor(after: row) == DataAPISessionStore.cursor(after: document))
        }
        #expect(Self.outcome(DataAPISessionStore.decodeSession(fast.storedSessions[0])).hasPrefix("session"))
        #expect(Self.outcome(DataAPISessionStore.decodeSession(fast.storedSessions[3])).contains("energyWh"))
    }

    @Test("the field names are the stored keys")
    func fieldNames() {
        #expect(StoredSessionField.id.name == "_id")
        #expect(StoredSessionField.chargingPointId.name == "chargingPointId")
        #expect(StoredSessionField.transactionId.name == "transactionId")
        #expect(Set(StoredSessionField.names).count == StoredSessionField.allCases.count)
    }
}
