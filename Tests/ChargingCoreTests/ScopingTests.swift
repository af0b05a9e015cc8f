import ChargingCore
import Foundation
import FunctionRuntime
import Testing

/// Who the caller is (issue 13, DESIGN.md §1 "Who may call what"), from real claim fixtures.
@Suite("Caller")
struct CallerTests {
    @Test("the claims of a driver, an operator by scope and an operator by cognito:groups")
    func fromFixtures() throws {
        let expected: [(Identity, String, Bool)] = [
            (.driver, Identity.driverSub, false), (.operator, Identity.operatorSub, true),
            (.cognitoOperator, Identity.cognitoSub, true),
        ]
        for (identity, sub, isOperator) in expected {
            let caller = try Caller.of(try Fixture.request("status", as: identity), mode: .jwt)
            #expect(caller == Caller(userId: sub, isOperator: isOperator), "\(identity)")
        }
    }

    @Test("under jwt an event without claims, or without a sub, is 401 Unauthorized; under none it is an operator")
    func anonymous() throws {
        #expect(throws: ChargingError.self) { try Caller.of(try Fixture.request("status"), mode: .jwt) }
        var noSub = try Fixture.request("status", as: .operator)
        noSub.requestContext.authorizer?.jwt?.claims["sub"] = nil
        do {
            _ = try Caller.of(noSub, mode: .jwt)
            Issue.record("a token without sub was accepted")
        } catch {
            #expect(error.code == .unauthorized)
            #expect(error.httpStatus == 401)
        }
        for identity in Identity.allCases {
            #expect(try Caller.of(try Fixture.request("status", as: identity), mode: .none) == .anonymousOperator)
        }
    }

    @Test("cognito:groups in API Gateway's [a b] form, as a JSON array and plain; a look-alike is not operator")
    func groupForms() throws {
        let forms = [
            "[evcsm/operator]": true, "[admins evcsm/operator]": true, #"["admins","evcsm/operator"]"#: true,
            "evcsm/operator": true, "admins,evcsm/operator": true, "[evcsm/operators]": false, "[]": false,
            "evcsm/operator-x": false,
        ]
        for (groups, isOperator) in forms {
            var request = try Fixture.request("status", as: .driver)
            request.requestContext.authorizer?.jwt?.claims["cognito:groups"] = groups
            #expect(try Caller.of(request, mode: .jwt).isOperator == isOperator, "\(groups)")
        }
        var scoped = try Fixture.request("status", as: .driver)
        scoped.requestContext.authorizer?.jwt?.claims["scope"] = "openid evcsm/operator"
        #expect(try Caller.of(scoped, mode: .jwt).isOperator, "a scope claim without the scopes list")
    }

    @Test("AUTH_MODE: jwt when unset, jwt or none in any case, anything else an init error naming it")
    func authMode() throws {
        #expect(try AuthMode.fromEnvironment(FunctionEnvironment([:])) == .jwt)
        #expect(try AuthMode.fromEnvironment(FunctionEnvironment(["AUTH_MODE": "none"])) == .none)
        #expect(try AuthMode.fromEnvironment(FunctionEnvironment(["AUTH_MODE": "JWT"])) == .jwt)
        do {
            _ = try AuthMode.fromEnvironment(FunctionEnvironment(["AUTH_MODE": "open"]))
            Issue.record("AUTH_MODE=open was accepted")
        } catch {
            #expect(error.message.contains("AUTH_MODE"))
        }
    }
}

@Suite("Scoping: start, stop, get")
struct ScopingTests {
    static let startBody = #"{"vehicleId": "vehicle-7", "chargingPointId": "cp-1", "maxPower": 11, "targetCharge": 80}"#

    static func startBody(userId: String) -> String {
        #"{"userId": "\#(userId)", "vehicleId": "vehicle-7", "chargingPointId": "cp-1", "maxPower": 11, "targetCharge": 80}"#
    }

    @Test("under jwt every HTTP function answers 401 envelope without claims, and nothing is written")
    func unauthorized() async throws {
        let harness = Harness.jwt([Harness.session(user: Identity.driverSub)])
        let calls: [(String, APIGatewayV2Response)] = [
            ("start", try await harness.respond(StartSessionHandler.init, "start", as: .anonymous)),
            ("stop", try await harness.respond(StopSessionHandler.init, "stop", as: .anonymous)),
            ("status", try await harness.respond(GetStatusHandler.init, "status", as: .anonymous)),
            ("sessions", try await harness.respond(ListSessionsHandler.init, "sessions", as: .anonymous)),
            ("session", try await harness.respond(GetSessionHandler.init, "session", as: .anonymous)),
        ]
        for (name, response) in calls {
            #expect(response.statusCode == 401, "\(name)")
            #expect(try envelope(response).error == "Unauthorized", "\(name)")
        }
        #expect(await harness.store.writeCount == 0)
        #expect(await harness.store.all.first?.status == .charging)
        #expect(harness.publisher.messages.isEmpty)
    }

    @Test("open under AUTH_MODE=none: the original requests work without claims")
    func open() async throws {
        let harness = Harness()
        let started = try await harness.respond(StartSessionHandler(harness.dependencies), Fixture.request("start"))
        #expect(started.statusCode == 201)
        #expect(await harness.store.all.first?.userId == "user-42")
        let status = try await harness.respond(GetStatusHandler(harness.dependencies), Fixture.request("status"))
        #expect(try json(status)["userId"] as? String == "user-42")
        // No sub to take userId from: it stays required, as in the original.
        let bare = try await harness.respond(
            StartSessionHandler(harness.dependencies), Fixture.request("start", body: Self.startBody))
        #expect(bare.statusCode == 400)
        #expect(try errorMessage(bare).hasPrefix("userId"))
    }

    @Test("a driver starts as themselves: userId given or taken from the token's sub")
    func driverStartsAsSelf() async throws {
        for body in [Self.startBody(userId: Identity.driverSub), Self.startBody] {
            let harness = Harness.jwt()
            let response = try await harness.respond(StartSessionHandler.init, "start", as: .driver, body: body)
            #expect(response.statusCode == 201, "\(response.body)")
            #expect(try json(response)["userId"] as? String == Identity.driverSub)
            #expect(await harness.store.all.map(\.userId) == [Identity.driverSub])
        }
    }

    @Test("a driver starting as another user is 403 Forbidden, and nothing is written or published")
    func driverStartsAsOther() async throws {
        let harness = Harness.jwt()
        let response = try await harness.respond(
            StartSessionHandler.init, "start", as: .driver, body: Self.startBody(userId: "bob"))
        #expect(response.statusCode == 403)
        let error = try envelope(response)
        #expect(error.error == "Forbidden")
        #expect(error.message.contains("operator"))
        #expect(await harness.store.writeCount == 0)
        #expect(harness.publisher.messages.isEmpty)
    }

    @Test("an operator starts for anyone; without userId as themselves")
    func operatorStarts() async throws {
        for (identity, body, user) in [
            (Identity.operator, Self.startBody(userId: "bob"), "bob"),
            (.operator, Self.startBody, Identity.operatorSub),
            (.cognitoOperator, Self.startBody(userId: "bob"), "bob"),
        ] {
            let harness = Harness.jwt()
            let response = try await harness.respond(StartSessionHandler.init, "start", as: identity, body: body)
            #expect(response.statusCode == 201, "\(identity): \(response.body)")
            #expect(await harness.store.all.map(\.userId) == [user])
        }
    }

    /// Sends `fixture` as the driver to a store holding bob's session and to an empty one: both answers are the same
    /// 404 envelope. Returns the harness with bob's session.
    static func expectSameAsMissing<Handler: HTTPFunction>(
        _ make: (FunctionDependencies) -> Handler, _ fixture: String
    ) async throws -> Harness {
        let missing = try await Harness.jwt().respond(make, fixture, as: .driver)
        let harness = Harness.jwt([Harness.session(user: "bob")])
        let others = try await harness.respond(make, fixture, as: .driver)
        #expect(others.statusCode == 404)
        #expect(missing.statusCode == 404)
        #expect(try envelope(others) == envelope(missing))
        return harness
    }

    @Test("a driver stopping another's session gets the 404 of a missing one, and nothing changes")
    func stopOthers() async throws {
        let harness = try await Self.expectSameAsMissing(StopSessionHandler.init, "stop")
        #expect(await harness.store.all.first?.status == .charging)
        #expect(await harness.store.writeCount == 0)
        #expect(harness.publisher.messages.isEmpty)
    }

    @Test("a driver stops their own session; an operator anyone's")
    func stopAllowed() async throws {
        for (identity, owner) in [(Identity.driver, Identity.driverSub), (.operator, "bob"), (.cognitoOperator, "bob")]
        {
            let harness = Harness.jwt([Harness.session(user: owner)])
            let response = try await harness.respond(StopSessionHandler.init, "stop", as: identity)
            #expect(response.statusCode == 200, "\(identity)")
            #expect(await harness.store.all.first?.status == .stopped)
        }
    }

    @Test("GET /sessions/{id}: another's is the 404 of a missing one for a driver; own and operator get 200")
    func getSession() async throws {
        let harness = try await Self.expectSameAsMissing(GetSessionHandler.init, "session")
        let asOperator = try await harness.respond(GetSessionHandler.init, "session", as: .operator)
        #expect(try json(asOperator)["userId"] as? String == "bob")
        let own = Harness.jwt([Harness.session(user: Identity.driverSub)])
        let mine = try await own.respond(GetSessionHandler.init, "session", as: .driver)
        #expect(mine.statusCode == 200)
        #expect(try json(mine)["vehicleId"] as? String == "vehicle-7")
    }
}
