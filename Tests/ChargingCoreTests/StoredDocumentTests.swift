import BSON
import Testing

@testable import ChargingCore

/// Stored documents evcsm did not write itself (or that were damaged) never trap a function, never poison
/// paging, and never look like a `Charging` session that can't be stopped.
@Suite("Stored session documents")
struct StoredDocumentTests {
    static func stored(
        _ id: String, status: String = "Stopped", ms: Int64 = 1_795_500_000_000, extra: String = ""
    ) -> String {
        #"{"_id":"\#(id)","sessionId":"\#(id)","chargingPointId":"cp-1","status":"\#(status)","startTime":{"$date":{"$numberLong":"\#(ms)"}}\#(extra)}"#
    }

    @Test(
        "a huge, infinite or NaN cost or energy is an unreadable document, not a trap",
        arguments: [
            #","cost":{"$numberDouble":"NaN"}"#, #","cost":{"$numberDouble":"1e300"}"#,
            #","cost":{"$numberDouble":"-Infinity"}"#, #","energyConsumed":{"$numberDouble":"1e300"}"#,
            #","energyConsumed":{"$numberDouble":"NaN"}"#, #","energyWh":{"$numberLong":"-5"}"#,
            #","maxPower":{"$numberDouble":"Infinity"}"#,
        ])
    func badNumbers(extra: String) throws {
        let document = try ExtendedJSON.parseDocument(Array(Self.stored("s1", extra: extra).utf8))
        #expect(DataAPISessionStore.session(from: document) == nil)
        guard case .failure(let problem) = DataAPISessionStore.decodeSession(document) else {
            Issue.record("decoded \(extra)")
            return
        }
        #expect(problem.message.contains("out of range") || problem.message.contains("not finite"))
    }

    @Test("a plausible cost and energy still decode")
    func goodNumbers() throws {
        let document = try ExtendedJSON.parseDocument(
            Array(Self.stored("s1", extra: #","cost":{"$numberDouble":"12.75"},"energyConsumed":15.5"#).utf8))
        let session = try #require(DataAPISessionStore.session(from: document))
        #expect(session.costCents == 1275)
        #expect(session.energyWh == 15_500)
    }

    @Test(
        "a non-canonical status is not a Charging session (it could never be stopped)",
        arguments: ["charging", "ACTIVE", "active", "STOPPED"])
    func nonCanonicalStatus(status: String) async throws {
        let bodies = try await replay([
            RecordedExchange("findOne", "ChargingSessions", #"{"document":\#(Self.stored("s1", status: status))}"#)
        ]) { store in
            let found = try await store.session(id: "s1")
            #expect(found == nil)
        }
        #expect(bodies.count == 1)
    }

    @Test("an unreadable document inside the page window does not end paging")
    func unreadableInWindow() async throws {
        let documents = [
            Self.stored("s9", ms: 1_795_900_000_000),
            Self.stored("s8", status: "weird", ms: 1_795_800_000_000),
            Self.stored("s7", ms: 1_795_700_000_000, extra: #","cost":{"$numberDouble":"NaN"}"#),
            Self.stored("s6", ms: 1_795_600_000_000),
        ]
        _ = try await replay([
            RecordedExchange("find", "ChargingSessions", #"{"documents":[\#(documents.joined(separator: ","))]}"#)
        ]) { store in
            let page = try await store.list(SessionQuery(limit: 3))
            #expect(page.sessions.map(\.sessionId) == ["s9"])
            #expect(page.nextCursor == SessionCursor(startTime: 1_795_700_000_000, sessionId: "s7"))
        }
    }
}

@Suite("CSV fields")
struct CSVFieldTests {
    @Test(
        "fields with a comma, quote, CR, LF or CRLF are quoted (RFC 4180)",
        arguments: [
            ("a,b", #""a,b""#), (#"say "hi""#, #""say ""hi""""#), ("line\nbreak", "\"line\nbreak\""),
            ("cr\rhere", "\"cr\rhere\""), ("crlf\r\nhere", "\"crlf\r\nhere\""), ("plain", "plain"),
        ])
    func quoting(field: String, expected: String) {
        #expect(SessionView.csvField(field) == expected)
    }
}
