import ChargingCore
import Foundation
import FunctionRuntime
import Testing

@Suite("Scoping: list and status")
struct ScopingQueryTests {
    /// Seven sessions: alice's s1–s3 (stopped), bob's s4–s7 (s7 charging on cp-1), one per hour, newest s7.
    static func history() -> Harness {
        var harness = ListSessionsTests.history()
        harness.authMode = .jwt
        return harness
    }

    func ids(_ response: APIGatewayV2Response) throws -> [String] { try ListSessionsTests().ids(response) }

    func list(_ harness: Harness, as identity: Identity, _ query: [String: String]) async throws -> APIGatewayV2Response
    {
        try await harness.respond(ListSessionsHandler.init, "sessions", as: identity, query: query)
    }

    func status(
        _ harness: Harness, as identity: Identity, _ query: [String: String]
    ) async throws -> APIGatewayV2Response {
        try await harness.respond(GetStatusHandler.init, "status", as: identity, query: query)
    }

    @Test("a driver lists only their own sessions, with every filter; an operator lists all")
    func driverListsOwn() async throws {
        let harness = Self.history()
        #expect(try ids(try await list(harness, as: .driver, [:])) == ["s3", "s2", "s1"])
        #expect(try ids(try await list(harness, as: .driver, ["userId": Identity.driverSub])) == ["s3", "s2", "s1"])
        #expect(try ids(try await list(harness, as: .driver, ["chargingPointId": "cp-1"])) == ["s3", "s1"])
        #expect(try ids(try await list(harness, as: .driver, ["status": "ACTIVE"])) == [])
        #expect(try ids(try await list(harness, as: .operator, [:])) == ["s7", "s6", "s5", "s4", "s3", "s2", "s1"])
        #expect(try ids(try await list(harness, as: .cognitoOperator, ["userId": "bob"])) == ["s7", "s6", "s5", "s4"])
    }

    @Test("a driver's userId filter naming someone else is 403 Forbidden")
    func driverListsOther() async throws {
        let response = try await list(Self.history(), as: .driver, ["userId": "bob"])
        #expect(response.statusCode == 403)
        #expect(try envelope(response).error == "Forbidden")
    }

    @Test("a driver's cursor paging stays on their sessions, even with a cursor taken from another's page")
    func driverPaging() async throws {
        let harness = Self.history()
        let (seen, pages) = try await ListSessionsTests().walk(limit: 1) { try await list(harness, as: .driver, $0) }
        #expect(seen == ["s3", "s2", "s1"])
        #expect(pages == 3)
        // The operator's first page ends at s7 (bob's); a driver continuing from there sees only alice's.
        let operatorPage = try json(try await list(harness, as: .operator, ["limit": "1"]))
        let foreign = try #require(operatorPage["nextCursor"] as? String)
        #expect(try ids(try await list(harness, as: .driver, ["cursor": foreign])) == ["s3", "s2", "s1"])
    }

    @Test("CSV for a driver holds only their rows")
    func driverCSV() async throws {
        let harness = Self.history()
        var request = try Fixture.request("sessions", as: .driver, query: [:])
        request.headers["accept"] = "text/csv"
        let response = try await harness.respond(ListSessionsHandler(harness.dependencies), request)
        let rows = response.body.split(separator: "\r\n").dropFirst()
        #expect(rows.count == 3)
        #expect(rows.allSatisfy { $0.contains(",alice,") })
    }

    @Test("status of a point: anyone signed in sees its state; userId and vehicleId only for its owner or an operator")
    func pointStatus() async throws {
        let harness = Self.history()
        // cp-1's active session s7 is bob's.
        let seen = try json(try await status(harness, as: .driver, ["chargingPointId": "cp-1"]))
        #expect(seen["sessionId"] as? String == "s7")
        #expect(seen["status"] as? String == "ACTIVE")
        #expect(seen["energyConsumed"] as? Double == 7)
        #expect(seen["userId"] == nil)
        #expect(seen["vehicleId"] == nil)
        for identity in [Identity.operator, .cognitoOperator] {
            let full = try json(try await status(harness, as: identity, ["chargingPointId": "cp-1"]))
            #expect(full["userId"] as? String == "bob", "\(identity)")
            #expect(full["vehicleId"] as? String == "vehicle-7", "\(identity)")
        }
        // A point whose latest session is the driver's own shows the owner fields.
        let own = Harness.jwt([Harness.session("mine", point: "cp-3", user: Identity.driverSub)])
        let mine = try json(try await status(own, as: .driver, ["chargingPointId": "cp-3"]))
        #expect(mine["userId"] as? String == Identity.driverSub)
        #expect(mine["vehicleId"] as? String == "vehicle-7")
    }

    @Test("status without a point: a driver's own active-or-latest session; an operator's is everyone's")
    func ownStatus() async throws {
        let harness = Self.history()
        let driver = try json(try await status(harness, as: .driver, [:]))
        #expect(driver["sessionId"] as? String == "s3")
        #expect(driver["userId"] as? String == Identity.driverSub)
        let operatorView = try json(try await status(harness, as: .operator, [:]))
        #expect(operatorView["sessionId"] as? String == "s7")
        // A driver without sessions: 404, even though others have sessions.
        let stranger = Harness.jwt([Harness.session(user: "bob")])
        let none = try await status(stranger, as: .driver, [:])
        #expect(none.statusCode == 404)
        #expect(try envelope(none).error == "NotFound")
    }

    @Test("a driver's status without a point is one look-up scoped by userId")
    func ownStatusQuery() async throws {
        let harness = Self.history()
        let store = QueryRecordingStore(base: harness.store)
        let dependencies = FunctionDependencies(
            store: store, publisher: harness.publisher, clock: harness.clock, authMode: .jwt)
        let response = try await harness.respond(
            GetStatusHandler(dependencies), Fixture.request("status", as: .driver))
        #expect(response.statusCode == 200)
        #expect(store.currentCalls == [QueryRecordingStore.Current(chargingPointId: nil, userId: Identity.driverSub)])
    }
}
