import ChargingCore
import ChargingCoreTesting
import FunctionRuntime
import Testing

@Suite("OcppDisconnect")
struct OcppDisconnectTests {
    @Test("the current connection closing clears the point's connection and publishes connected: false")
    func clearsCurrent() async throws {
        let world = OcppWorld(
            chargers: InMemoryChargerState(connected: OcppWorld.chargePointId, connectionId: OcppWorld.connectionId))
        let response = await world.respond(OcppDisconnectHandler(world.deps), try OcppWorld.event("disconnect"))
        #expect(response.statusCode == 200)
        #expect(world.chargers.connections.isEmpty)
        #expect(try await world.chargers.connection(chargePointId: OcppWorld.chargePointId) == nil)
        let published = try world.statusMessages
        #expect(published.map(\.connected) == [false])
        #expect(published.first?.chargePointId == OcppWorld.chargePointId)
    }

    @Test("the disconnect of a replaced connection leaves the new one current and publishes nothing")
    func replacedConnection() async throws {
        let world = OcppWorld()
        _ = await world.respond(OcppConnectHandler(world.deps), try OcppWorld.connect())
        var second = try OcppWorld.connect()
        second.requestContext.connectionId = "newConnection1"
        _ = await world.respond(OcppConnectHandler(world.deps), second)
        let before = world.harness.publisher.messages.count
        let response = await world.respond(OcppDisconnectHandler(world.deps), try OcppWorld.event("disconnect"))
        #expect(response.statusCode == 200)
        #expect(try await world.chargers.connection(chargePointId: OcppWorld.chargePointId) == "newConnection1")
        #expect(Array(world.chargers.connections.keys) == ["newConnection1"])
        #expect(world.harness.publisher.messages.count == before)
    }

    @Test("an unknown connection, or a store failure, is still a 200")
    func alwaysOK() async throws {
        for world in [OcppWorld(), OcppWorld(chargers: InMemoryChargerState(failing: InMemoryRegistry.Unavailable()))] {
            let response = await world.respond(OcppDisconnectHandler(world.deps), try OcppWorld.event("disconnect"))
            #expect(response.statusCode == 200)
            #expect(world.harness.publisher.messages.isEmpty)
        }
    }
}
