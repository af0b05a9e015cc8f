import ChargingCore
import ChargingCoreTesting
import Foundation
import FunctionRuntime
import Testing

@Suite("RegisterCharger")
struct RegisterChargerTests {
    static let body = #"{"chargePointId": "cp-7"}"#

    let registry = InMemoryRegistry()
    let clock = FixedClock(milliseconds: Harness.start)
    let logs = LogLines()

    func handler(provisioner: (any MqttClientProvisioner)? = nil, authMode: AuthMode = .jwt) -> RegisterChargerHandler {
        RegisterChargerHandler(
            registry: registry, provisioner: provisioner, clock: clock, authMode: authMode, iterations: 1_000)
    }

    func respond(_ handler: RegisterChargerHandler, _ request: APIGatewayV2Request) async -> APIGatewayV2Response {
        await HTTPFunctionAdapter(handler).respond(to: request, context: .local(logger: logs.logger))
    }

    @Test("an operator registers: 201 with the password once; only a salted hash is stored")
    func registers() async throws {
        let response = try await respond(handler(), Fixture.request("register-charger-operator"))
        #expect(response.statusCode == 201, "\(response.body)")
        let body = try json(response)
        #expect(body.keys.sorted() == ["chargePointId", "password"])
        #expect(body["chargePointId"] as? String == "cp-7")
        let password = try #require(body["password"] as? String)
        #expect(password.count == 32 && password.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        let stored = try #require(registry.all.first)
        #expect(registry.all.count == 1)
        #expect(stored.chargePointId == "cp-7" && stored.ocpp == false && stored.provisioned)
        #expect(stored.connectors == [ChargerConnector(connectorId: 1, maxPower: 22)])
        #expect(stored.registeredAt == Harness.start)
        #expect(stored.credentials.hash != Array(password.utf8))
        #expect(stored.credentials.salt.count == 16 && stored.credentials.hash.count == 32)
        #expect(stored.credentials.verifies(Array(password.utf8)))
        #expect(!stored.credentials.verifies(Array((password + "x").utf8)))
        #expect(!logs.text.contains(password), "the password reached a log line")
        #expect(logs.text.contains("charging point registered"))
    }

    @Test("each registration gets its own salt and password")
    func saltsDiffer() async throws {
        for id in ["cp-a", "cp-b"] {
            let response = try await respond(
                handler(), Fixture.request("register-charger-operator", body: #"{"chargePointId": "\#(id)"}"#))
            #expect(response.statusCode == 201)
        }
        let stored = registry.all
        #expect(stored.count == 2)
        #expect(Set(stored.map(\.credentials.salt)).count == 2)
        #expect(Set(stored.map(\.credentials.hash)).count == 2)
    }

    @Test("a connector listed again takes the later maxPower, in the place it was first listed")
    func repeatedConnector() async throws {
        let body =
            #"{"chargePointId": "cp-9", "connectors": [{"connectorId": 2, "maxPower": 11}, {"connectorId": 1, "maxPower": 7.4}, {"connectorId": 2, "maxPower": 22}]}"#
        let response = try await respond(handler(), Fixture.request("register-charger-operator", body: body))
        #expect(response.statusCode == 201, "\(response.body)")
        #expect(
            registry.all.first?.connectors == [
                .init(connectorId: 2, maxPower: 22), .init(connectorId: 1, maxPower: 7.4),
            ])
    }

    @Test("ocpp and connectors are stored as sent")
    func connectors() async throws {
        let body =
            #"{"chargePointId": "CP_Hall.2", "ocpp": true, "connectors": [{"connectorId": 1, "maxPower": 11}, {"connectorId": 2, "maxPower": 7.4}]}"#
        let response = try await respond(handler(), Fixture.request("register-charger-operator", body: body))
        #expect(response.statusCode == 201, "\(response.body)")
        let stored = try #require(registry.all.first)
        #expect(stored.ocpp)
        #expect(stored.connectors == [.init(connectorId: 1, maxPower: 11), .init(connectorId: 2, maxPower: 7.4)])
    }

    @Test("with IOT_CLIENTS_ENDPOINT the broker gets the client <id> with role charger and the same password")
    func provisions() async throws {
        let provisioner = RecordingProvisioner()
        let response = try await respond(
            handler(provisioner: provisioner), Fixture.request("register-charger-operator"))
        #expect(response.statusCode == 201)
        let password = try #require(try json(response)["password"] as? String)
        let call = try #require(provisioner.calls.withLock { $0.first })
        #expect(call.username == "cp-7" && call.role == "charger" && call.password == password)
        #expect(registry.all.first?.provisioned == true)
    }

    @Test("a driver gets 403 and nothing is written or provisioned")
    func driverForbidden() async throws {
        let provisioner = RecordingProvisioner()
        let response = try await respond(handler(provisioner: provisioner), Fixture.request("register-charger-driver"))
        #expect(response.statusCode == 403)
        #expect(try json(response)["error"] as? String == "Forbidden")
        #expect(registry.writes.withLock { $0 } == 0 && provisioner.usernames.isEmpty)
    }

    @Test("no claims under AUTH_MODE=jwt is 401; AUTH_MODE=none registers as the anonymous operator")
    func authModes() async throws {
        var request = try Fixture.request("register-charger-operator")
        request.requestContext.authorizer = nil
        let refused = await respond(handler(), request)
        #expect(refused.statusCode == 401)
        #expect(try json(refused)["error"] as? String == "Unauthorized")
        #expect(registry.writes.withLock { $0 } == 0)
        let open = await respond(handler(authMode: .none), request)
        #expect(open.statusCode == 201)
    }

    @Test(
        "a bad body is 400 naming the field, and nothing is written",
        arguments: [
            (#"{}"#, "chargePointId is required"),
            (#"{"chargePointId": 7}"#, "chargePointId must be a string"),
            (#"{"chargePointId": null}"#, "chargePointId must not be null"),
            (#"{"chargePointId": ""}"#, "chargePointId must be"),
            (#"{"chargePointId": "-cp"}"#, "chargePointId must be"),
            (#"{"chargePointId": ".."}"#, "chargePointId must be"),
            (#"{"chargePointId": "cp/1"}"#, "chargePointId must be"),
            (#"{"chargePointId": "cp+"}"#, "chargePointId must be"),
            (#"{"chargePointId": "cp#"}"#, "chargePointId must be"),
            (#"{"chargePointId": "cp:1"}"#, "chargePointId must be"),
            (#"{"chargePointId": "cp 1"}"#, "chargePointId must be"),
            (#"{"chargePointId": "cpé"}"#, "chargePointId must be"),
            (#"{"chargePointId": "\#(String(repeating: "a", count: 65))"}"#, "chargePointId must be"),
            (#"{"chargePointId": "cp-1", "ocpp": "yes"}"#, "ocpp must be a boolean"),
            (#"{"chargePointId": "cp-1", "connectors": {}}"#, "connectors must be an array"),
            (#"{"chargePointId": "cp-1", "connectors": []}"#, "connectors must list 1-16"),
            (#"{"chargePointId": "cp-1", "connectors": [7]}"#, "connectors[0] must be an object"),
            (#"{"chargePointId": "cp-1", "connectors": [{"maxPower": 11}]}"#, "connectors[0].connectorId is required"),
            (
                #"{"chargePointId": "cp-1", "connectors": [{"connectorId": 0, "maxPower": 11}]}"#,
                "connectors[0].connectorId must be an integer"
            ),
            (
                #"{"chargePointId": "cp-1", "connectors": [{"connectorId": 1.5, "maxPower": 11}]}"#,
                "connectors[0].connectorId must be an integer"
            ),
            (#"{"chargePointId": "cp-1", "connectors": [{"connectorId": 1}]}"#, "connectors[0].maxPower is required"),
            (
                #"{"chargePointId": "cp-1", "connectors": [{"connectorId": 1, "maxPower": 0}]}"#,
                "connectors[0].maxPower must be greater than 0"
            ),
            ("not json", "request body is not valid JSON"),
        ])
    func badBody(body: String, message: String) async throws {
        let provisioner = RecordingProvisioner()
        let response = try await respond(
            handler(provisioner: provisioner), Fixture.request("register-charger-operator", body: body))
        #expect(response.statusCode == 400, "\(body): \(response.body)")
        #expect(try errorMessage(response).hasPrefix(message), "\(body): \(response.body)")
        #expect(registry.writes.withLock { $0 } == 0 && provisioner.usernames.isEmpty)
    }

    @Test("a second registration of the point is 409; the stored credentials stay and the broker is not told")
    func duplicate() async throws {
        let provisioner = RecordingProvisioner()
        let first = try await respond(handler(provisioner: provisioner), Fixture.request("register-charger-operator"))
        #expect(first.statusCode == 201)
        let stored = try #require(registry.all.first)
        let second = try await respond(handler(provisioner: provisioner), Fixture.request("register-charger-operator"))
        #expect(second.statusCode == 409)
        #expect(try json(second)["error"] as? String == "Conflict")
        #expect(try errorMessage(second).contains("already registered"))
        #expect(registry.all == [stored])
        #expect(provisioner.usernames == ["cp-7"])
    }

    @Test("the broker refusing leaves nothing registered (503), and a retry registers")
    func provisioningFails() async throws {
        let provisioner = RecordingProvisioner(refusing: true)
        let failed = try await respond(handler(provisioner: provisioner), Fixture.request("register-charger-operator"))
        #expect(failed.statusCode == 503)
        #expect(try errorMessage(failed).contains("nothing was registered"))
        #expect(registry.all.isEmpty)
        let password = try #require(provisioner.calls.withLock { $0.first?.password })
        #expect(!logs.text.contains(password), "the password reached a log line")
        provisioner.refuses.withLock { $0 = false }
        let retried = try await respond(handler(provisioner: provisioner), Fixture.request("register-charger-operator"))
        #expect(retried.statusCode == 201)
        #expect(registry.all.first?.provisioned == true)
    }

    @Test(
        "when the withdrawal fails too, the unprovisioned registration blocks for a minute, then a retry takes it over")
    func abandonedRegistration() async throws {
        let provisioner = RecordingProvisioner(refusing: true)
        registry.failingWithdrawals.withLock { $0 = true }
        let failed = try await respond(handler(provisioner: provisioner), Fixture.request("register-charger-operator"))
        #expect(failed.statusCode == 503)
        #expect(registry.all.first?.provisioned == false)
        provisioner.refuses.withLock { $0 = false }
        registry.failingWithdrawals.withLock { $0 = false }
        let early = try await respond(handler(provisioner: provisioner), Fixture.request("register-charger-operator"))
        #expect(early.statusCode == 409)
        clock.advance(seconds: 61)
        let retried = try await respond(handler(provisioner: provisioner), Fixture.request("register-charger-operator"))
        #expect(retried.statusCode == 201)
        let password = try #require(try json(retried)["password"] as? String)
        #expect(registry.all.first?.provisioned == true)
        #expect(registry.all.first?.credentials.verifies(Array(password.utf8)) == true)
    }
}
