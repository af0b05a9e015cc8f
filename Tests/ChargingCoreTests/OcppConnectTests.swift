import ChargingCore
import ChargingCoreTesting
import FunctionRuntime
import Testing

@Suite("OcppConnect")
struct OcppConnectTests {
    @Test("a registered OCPP charger with the right Basic auth is accepted with Sec-WebSocket-Protocol ocpp1.6")
    func accepted() async throws {
        let world = OcppWorld()
        let response = await world.respond(OcppConnectHandler(world.deps), try OcppWorld.connect())
        #expect(response.statusCode == 200)
        #expect(response.headers?["Sec-WebSocket-Protocol"] == "ocpp1.6")
        let connection = try #require(world.chargers.connections[OcppWorld.connectionId])
        #expect(connection.chargePointId == OcppWorld.chargePointId)
        #expect(connection.connectedAt == 1_795_691_395_123)
        #expect(connection.sourceIp == "192.0.2.1")
        #expect(try await world.chargers.connection(chargePointId: OcppWorld.chargePointId) == OcppWorld.connectionId)
        let published = try world.statusMessages
        #expect(published.count == 1)
        #expect(published.first?.connected == true)
        #expect(published.first?.connectorId == nil)
        #expect(published.first?.timestamp == "2026-11-26T11:09:55.123Z")
    }

    @Test(
        "a wrong or missing Basic auth is 401 with WWW-Authenticate; nothing is stored or published",
        arguments: [
            OcppWorld.basic(OcppWorld.chargePointId, "wrong-password"), OcppWorld.basic("CP-0002", OcppWorld.password),
            "Bearer abc", "Basic !!!not-base64", "Basic " + "bm9jb2xvbg==",
        ] as [String?] + [nil])
    func unauthorized(authorization: String?) async throws {
        let world = OcppWorld()
        let response = await world.respond(
            OcppConnectHandler(world.deps), try OcppWorld.connect(headers: ["Authorization": authorization]))
        #expect(response.statusCode == 401)
        #expect(response.headers?["WWW-Authenticate"] == #"Basic realm="evcsm""#)
        #expect(response.headers?["Sec-WebSocket-Protocol"] == nil)
        #expect(world.chargers.connections.isEmpty)
        #expect(world.harness.publisher.messages.isEmpty)
    }

    @Test("an unprovisioned registration does not sign in (401)")
    func unprovisioned() async throws {
        let world = OcppWorld(registrations: [OcppWorld.registration(provisioned: false)])
        let response = await world.respond(OcppConnectHandler(world.deps), try OcppWorld.connect())
        #expect(response.statusCode == 401)
        #expect(world.chargers.connections.isEmpty)
    }

    @Test("an unknown charger, or one registered for MQTT, is 404")
    func notFound() async throws {
        for world in [OcppWorld(registrations: []), OcppWorld(registrations: [OcppWorld.registration(ocpp: false)])] {
            let response = await world.respond(OcppConnectHandler(world.deps), try OcppWorld.connect())
            #expect(response.statusCode == 404)
            #expect(world.chargers.connections.isEmpty)
            #expect(world.harness.publisher.messages.isEmpty)
        }
    }

    @Test("no identity or one outside the chargePointId charset is 400", arguments: [nil, "", "cp/1", "a b", "ü"])
    func badIdentity(id: String?) async throws {
        let world = OcppWorld()
        let response = await world.respond(OcppConnectHandler(world.deps), try OcppWorld.connect(chargePointId: id))
        #expect(response.statusCode == 400)
        #expect(world.chargers.connections.isEmpty)
    }

    @Test("ocpp1.6 not offered as subprotocol is 400", arguments: [nil, "ocpp2.0.1", "OCPP1.6", "ocpp1.6j"])
    func noSubprotocol(offered: String?) async throws {
        let world = OcppWorld()
        let response = await world.respond(
            OcppConnectHandler(world.deps), try OcppWorld.connect(headers: ["Sec-WebSocket-Protocol": offered]))
        #expect(response.statusCode == 400)
        #expect(response.body?.contains("ocpp1.6") == true)
        #expect(world.chargers.connections.isEmpty)
    }

    @Test("ocpp1.6 offered in a second Sec-WebSocket-Protocol header (multiValueHeaders) is accepted")
    func subprotocolInSecondHeader() async throws {
        let world = OcppWorld()
        var request = try OcppWorld.connect(headers: ["Sec-WebSocket-Protocol": "ocpp2.0.1"])
        request.multiValueHeaders?["Sec-WebSocket-Protocol"] = ["ocpp2.0.1", "ocpp1.6"]
        let response = await world.respond(OcppConnectHandler(world.deps), request)
        #expect(response.statusCode == 200)
        #expect(response.headers?["Sec-WebSocket-Protocol"] == "ocpp1.6")
    }

    @Test("a second connection of the same charger replaces the first as the current one")
    func reconnectReplaces() async throws {
        let world = OcppWorld()
        _ = await world.respond(OcppConnectHandler(world.deps), try OcppWorld.connect())
        var second = try OcppWorld.connect()
        second.requestContext.connectionId = "newConnection1"
        let response = await world.respond(OcppConnectHandler(world.deps), second)
        #expect(response.statusCode == 200)
        #expect(try await world.chargers.connection(chargePointId: OcppWorld.chargePointId) == "newConnection1")
        #expect(world.chargers.connections.count == 2)
    }

    @Test("a store failure refuses the connection with a 500 (the charger retries)")
    func storeFailure() async throws {
        let world = OcppWorld(chargers: InMemoryChargerState(failing: InMemoryRegistry.Unavailable()))
        let response = await world.respond(OcppConnectHandler(world.deps), try OcppWorld.connect())
        #expect(response.statusCode == 500)
        #expect(world.harness.publisher.messages.isEmpty)
    }
}
