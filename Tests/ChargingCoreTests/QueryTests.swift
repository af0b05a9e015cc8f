import ChargingCore
import Essentials
import Foundation
import FunctionRuntime
import Testing

@Suite("GetStatus")
struct GetStatusTests {
    @Test("404 when there is no session at all")
    func empty() async throws {
        let harness = Harness()
        let response = try await harness.respond(GetStatusHandler(harness.dependencies), Fixture.request("status"))
        #expect(response.statusCode == 404)
        #expect(try json(response)["error"] as? String == "NotFound")
    }

    @Test("ACTIVE for a charging session, with live energy, duration and running cost")
    func active() async throws {
        let harness = Harness([Harness.session(energyWh: 4_321)])
        let response = try await harness.respond(GetStatusHandler(harness.dependencies), Fixture.request("status"))
        #expect(response.statusCode == 200)
        let body = try json(response)
        #expect(body["status"] as? String == "ACTIVE")
        #expect(body["sessionId"] as? String == Harness.fixtureSessionID)
        #expect(body["energyConsumed"] as? Double == 4.321)
        #expect(body["durationMinutes"] as? Int == 30)
        #expect(body["endTime"] is NSNull)
        #expect(body["cost"] as? Double == 7.16)
        #expect(response.body.contains(#""endTime":null"#))
    }

    @Test("the latest session when none is active: STOPPED")
    func latestStopped() async throws {
        let harness = Harness([
            Harness.session("older", status: .stopped, startedMinutesAgo: 300),
            Harness.session("newer", status: .stopped, startedMinutesAgo: 100, energyWh: 15_500),
        ])
        let body = try json(
            try await harness.respond(GetStatusHandler(harness.dependencies), Fixture.request("status")))
        #expect(body["status"] as? String == "STOPPED")
        #expect(body["sessionId"] as? String == "newer")
        #expect(body["cost"] as? Double == 12.75)
        #expect(body["durationMinutes"] as? Int == 10)
    }

    @Test("an active session wins over a newer stopped one; chargingPointId scopes the answer")
    func perChargingPoint() async throws {
        let harness = Harness([
            Harness.session("active-cp1", point: "cp-1", startedMinutesAgo: 60),
            Harness.session("stopped-cp2", point: "cp-2", status: .stopped, startedMinutesAgo: 20),
        ])
        let handler = GetStatusHandler(harness.dependencies)
        let any = try json(try await harness.respond(handler, Fixture.request("status")))
        #expect(any["sessionId"] as? String == "active-cp1")
        let cp2 = try json(try await harness.respond(handler, Fixture.request("status-cp-2")))
        #expect(cp2["sessionId"] as? String == "stopped-cp2")
        #expect(cp2["status"] as? String == "STOPPED")
        let cp3 = try await harness.respond(handler, Fixture.request("status", query: ["chargingPointId": "cp-3"]))
        #expect(cp3.statusCode == 404)
        let bad = try await harness.respond(handler, Fixture.request("status", query: ["chargingPointId": "cp 3"]))
        #expect(bad.statusCode == 400)
        #expect(try errorMessage(bad).hasPrefix("chargingPointId "))
    }
}

extension GetStatusTests {
    @Test("a late, queued session that started earlier but is still charging wins over a newer stopped one")
    func activeWinsOverNewerStoppedOnOnePoint() async throws {
        let harness = Harness([
            Harness.session("late-active", point: "cp-1", startedMinutesAgo: 90),
            Harness.session("newer-stopped", point: "cp-1", status: .stopped, startedMinutesAgo: 10),
            Harness.session("newest-other", point: "cp-2", status: .stopped, startedMinutesAgo: 5),
        ])
        let handler = GetStatusHandler(harness.dependencies)
        let any = try json(try await harness.respond(handler, Fixture.request("status")))
        #expect(any["sessionId"] as? String == "late-active")
        let cp1 = try json(
            try await harness.respond(handler, Fixture.request("status", query: ["chargingPointId": "cp-1"])))
        #expect(cp1["sessionId"] as? String == "late-active")
        #expect(cp1["status"] as? String == "ACTIVE")
    }
}

@Suite("GetSession")
struct GetSessionTests {
    @Test func found() async throws {
        let harness = Harness([Harness.session(status: .stopped, energyWh: 15_500)])
        let response = try await harness.respond(GetSessionHandler(harness.dependencies), Fixture.request("session"))
        #expect(response.statusCode == 200)
        let body = try json(response)
        #expect(body["sessionId"] as? String == Harness.fixtureSessionID)
        #expect(body["status"] as? String == "STOPPED")
        #expect(body["cost"] as? Double == 12.75)
        #expect(body["stopReason"] as? String == "Requested")
    }

    @Test func notFound() async throws {
        let harness = Harness([Harness.session("someone-else")])
        let response = try await harness.respond(GetSessionHandler(harness.dependencies), Fixture.request("session"))
        #expect(response.statusCode == 404)
    }

    @Test("the id also comes from the raw path, and a malformed one is a 400")
    func pathForms() async throws {
        let harness = Harness([Harness.session()])
        var request = try Fixture.request("session")
        request.pathParameters = nil
        #expect(try await harness.respond(GetSessionHandler(harness.dependencies), request).statusCode == 200)
        request.pathParameters = ["sessionId": String(repeating: "x", count: 65)]
        let bad = try await harness.respond(GetSessionHandler(harness.dependencies), request)
        #expect(bad.statusCode == 400)
        #expect(try errorMessage(bad).hasPrefix("sessionId "))
    }
}

@Suite("ListSessions")
struct ListSessionsTests {
    /// Seven sessions on two points and two users, one per hour, newest `s7`.
    static func history() -> Harness {
        var sessions: [ChargingSession] = []
        for i in 1...7 {
            let point = i % 2 == 0 ? "cp-2" : "cp-1"
            let user = i <= 3 ? "alice" : "bob"
            let status: SessionStatus = i == 7 ? .charging : .stopped
            let minutesAgo = Int64(8 - i) * 60
            sessions.append(
                Harness.session(
                    "s\(i)", point: point, user: user, status: status, startedMinutesAgo: minutesAgo,
                    energyWh: Int64(i) * 1000))
        }
        return Harness(sessions)
    }

    func ids(_ response: APIGatewayV2Response) throws -> [String] {
        let sessions = try #require(try json(response)["sessions"] as? [[String: Any]])
        return sessions.compactMap { $0["sessionId"] as? String }
    }

    func list(_ harness: Harness, _ query: [String: String], accept: String? = nil) async throws -> APIGatewayV2Response
    {
        var request = try Fixture.request("sessions", query: query)
        if let accept { request.headers["accept"] = accept }
        return try await harness.respond(ListSessionsHandler(harness.dependencies), request)
    }

    @Test("newest first; the fixture filters by charging point with limit 2")
    func fixture() async throws {
        let harness = Self.history()
        let response = try await harness.respond(ListSessionsHandler(harness.dependencies), Fixture.request("sessions"))
        #expect(response.statusCode == 200)
        #expect(try ids(response) == ["s7", "s5"])
        #expect(try json(response)["nextCursor"] is String)
        let first = try #require((try json(response)["sessions"] as? [[String: Any]])?.first)
        #expect(first["status"] as? String == "ACTIVE")
    }

    @Test("filters: chargingPointId, userId, status, from, to")
    func filters() async throws {
        let harness = Self.history()
        #expect(try ids(try await list(harness, [:])) == ["s7", "s6", "s5", "s4", "s3", "s2", "s1"])
        #expect(try ids(try await list(harness, ["chargingPointId": "cp-2"])) == ["s6", "s4", "s2"])
        #expect(try ids(try await list(harness, ["userId": "alice"])) == ["s3", "s2", "s1"])
        #expect(try ids(try await list(harness, ["status": "ACTIVE"])) == ["s7"])
        #expect(try ids(try await list(harness, ["status": "Stopped", "userId": "bob"])) == ["s6", "s5", "s4"])
        // s3 started at 11:09:55.123 − 5 h, s5 at − 3 h
        let from = Timestamp.format(milliseconds: Harness.start - 5 * 3_600_000)
        let to = Timestamp.format(milliseconds: Harness.start - 3 * 3_600_000)
        #expect(try ids(try await list(harness, ["from": from, "to": to])) == ["s5", "s4", "s3"])
        #expect(try ids(try await list(harness, ["from": "2026-11-27"])) == [])
        #expect(try ids(try await list(harness, ["to": "2026-11-26"])).count == 7)
        let empty = try await list(harness, ["chargingPointId": "cp-9"])
        #expect(try ids(empty) == [])
        #expect(try json(empty)["nextCursor"] is NSNull)
    }

    /// Follows `nextCursor` from the first page of `limit` sessions to the last (at most 10 pages): the session ids
    /// in the order seen, and the number of pages.
    func walk(
        limit: Int, _ list: ([String: String]) async throws -> APIGatewayV2Response
    ) async throws -> (ids: [String], pages: Int) {
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            var query = ["limit": "\(limit)"]
            query["cursor"] = cursor
            let response = try await list(query)
            #expect(response.statusCode == 200)
            seen += try ids(response)
            cursor = try json(response)["nextCursor"] as? String
            pages += 1
        } while cursor != nil && pages < 10
        return (seen, pages)
    }

    @Test("paging with the opaque cursor visits every session once, newest first")
    func paging() async throws {
        let harness = Self.history()
        let (seen, pages) = try await walk(limit: 3) { try await list(harness, $0) }
        #expect(seen == ["s7", "s6", "s5", "s4", "s3", "s2", "s1"])
        #expect(pages == 3)
    }

    static let badQueries: [(query: [String: String], field: String)] = [
        (["limit": "0"], "limit"), (["limit": "501"], "limit"), (["limit": "ten"], "limit"), (["limit": "-1"], "limit"),
        (["cursor": "not-a-cursor"], "cursor"), (["cursor": "djE6MTIzOmEgYg"], "cursor"),
        (["status": "Paused"], "status"), (["from": "yesterday"], "from"), (["to": "2026-13-01"], "to"),
        (["chargingPointId": "cp/1"], "chargingPointId"), (["userId": String(repeating: "u", count: 65)], "userId"),
        // A present but empty value is not a value of the parameter's type (the OpenAPI document says so).
        (["to": ""], "to"), (["limit": ""], "limit"), (["status": ""], "status"), (["cursor": ""], "cursor"),
        (["chargingPointId": ""], "chargingPointId"), (["status": "charging"], "status"),
    ]

    @Test("from after to is a valid, empty range: 200 with no sessions, not a 400")
    func emptyRange() async throws {
        let response = try await list(Self.history(), ["from": "2026-11-27", "to": "2026-11-26"])
        #expect(response.statusCode == 200)
        #expect((try json(response)["sessions"] as? [Any])?.isEmpty == true)
    }

    @Test("invalid query parameters are 400s naming the parameter", arguments: badQueries)
    func badQuery(query: [String: String], field: String) async throws {
        let harness = Self.history()
        let response = try await list(harness, query)
        #expect(response.statusCode == 400)
        #expect(try errorMessage(response).hasPrefix(field + " "))
    }

    @Test("limit defaults to 50 and may be 500")
    func limits() async throws {
        let harness = Harness(
            (0..<60).map { Harness.session("s\($0)", status: .stopped, startedMinutesAgo: Int64($0) + 1) })
        #expect(try ids(try await list(harness, [:])).count == 50)
        #expect(try ids(try await list(harness, ["limit": "500"])).count == 60)
    }

    @Test("Accept: text/csv gives CSV with a header row")
    func csv() async throws {
        let harness = Self.history()
        let response = try await harness.respond(
            ListSessionsHandler(harness.dependencies), Fixture.request("sessions-csv"))
        #expect(response.statusCode == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/csv") == true)
        let lines = response.body.split(separator: "\r\n").map(String.init)
        #expect(lines.first == SessionView.csvHeader)
        #expect(lines.count == 7)
        #expect(lines[1].hasPrefix("s6,cp-2,bob,vehicle-7,STOPPED,"))
        #expect(lines[1].contains(",6.000,10,11,80,8.00,EUR,Requested"))
        let paged = try await list(harness, ["limit": "2"], accept: "text/csv;q=0.9, application/json;q=0.1")
        #expect(paged.headers["x-next-cursor"] != nil)
        #expect(paged.body.split(separator: "\r\n").count == 3)
    }
}
