import ChargingCore
import ChargingCoreTesting
import ChargingWire
import FunctionRuntime
import Testing

/// A handler that fails as told, for the dispatcher's error paths.
struct FailingAction: OcppActionHandler {
    static let action = "Heartbeat"
    struct Broken: Error {}
    let error: any Error & Sendable

    func handle(_ payload: OcppJSON, context: OcppCallContext) async throws -> OcppJSON { throw error }
}

@Suite("OCPP dispatcher")
struct OcppDispatcherTests {
    static func connectedWorld() -> OcppWorld {
        OcppWorld(
            chargers: InMemoryChargerState(connected: OcppWorld.chargePointId, connectionId: OcppWorld.connectionId))
    }

    @Test(
        "unreadable messages are answered with FormationViolation or ProtocolError, with the id when readable",
        arguments: [
            ("not json", "FormationViolation", "-1"), ("{}", "FormationViolation", "-1"),
            ("[]", "FormationViolation", "-1"), (#"["2","a","Heartbeat",{}]"#, "FormationViolation", "a"),
            (#"[2,7,"Heartbeat",{}]"#, "FormationViolation", "-1"),
            (#"[2,"a","Heartbeat",[]]"#, "FormationViolation", "a"),
            (#"[2,"a","Heartbeat"]"#, "ProtocolError", "a"), (#"[5,"a","Heartbeat",{}]"#, "ProtocolError", "a"),
        ])
    func unreadable(text: String, code: String, messageId: String) async throws {
        let reply = try await Self.connectedWorld().send(text)
        #expect(errorCode(reply) == code)
        #expect(reply?.messageId == messageId)
    }

    @Test(
        "a broken CALLRESULT or CALLERROR is not answered", arguments: [#"[3,"a"]"#, #"[4,"a","X"]"#, #"[3,"a",[]]"#])
    func brokenAnswersUnanswered(text: String) async throws {
        #expect(try await Self.connectedWorld().send(text) == nil)
    }

    @Test("a binary frame is answered with FormationViolation")
    func binaryFrame() async throws {
        let world = Self.connectedWorld()
        var request = try OcppWorld.message("AQID")
        request.isBase64Encoded = true
        let response = await world.respond(OcppMessageHandler(world.deps), request)
        #expect(
            response.body.map { Array($0.utf8) }.flatMap { try? OcppFrame.parse($0).get() }.map(errorCode)
                == "FormationViolation")
    }

    @Test("a CALL on a connection OcppConnect did not record is a SecurityError; an answer on it is dropped")
    func unknownConnection() async throws {
        let world = OcppWorld()
        let reply = try await world.send(#"[2,"m1","Heartbeat",{}]"#)
        #expect(errorCode(reply) == "SecurityError")
        guard case .callError(_, _, let description, _)? = reply else { return }
        #expect(description == "connection not registered; reconnect")
        #expect(try await world.send(#"[3,"m1",{}]"#) == nil)
    }

    @Test("a connection whose charger lost its OCPP registration is a SecurityError")
    func unregisteredCharger() async throws {
        let world = OcppWorld(
            registrations: [],
            chargers: InMemoryChargerState(connected: OcppWorld.chargePointId, connectionId: OcppWorld.connectionId))
        #expect(errorCode(try await world.send(#"[2,"m1","Heartbeat",{}]"#)) == "SecurityError")
    }

    @Test("an action OCPP 1.6 does not have is NotImplemented; a 1.6 action without a handler NotSupported")
    func unknownActions() async throws {
        let world = Self.connectedWorld()
        #expect(errorCode(try await world.send(#"[2,"m1","FlyToTheMoon",{}]"#)) == "NotImplemented")
        #expect(errorCode(try await world.send(#"[2,"m2","Reset",{"type":"Hard"}]"#)) == "NotSupported")
        let onlyHeartbeat = OcppMessageHandler(world.deps, dispatcher: OcppDispatcher([HeartbeatAction(world.deps)]))
        let response = await world.respond(onlyHeartbeat, try OcppWorld.message(#"[2,"m3","Authorize",{"idTag":"T"}]"#))
        #expect(response.body?.contains(#""NotSupported""#) == true)
    }

    @Test(
        "a payload that breaks the schema gets the schema's CALLERROR and changes nothing",
        arguments: [
            (#"[2,"m","BootNotification",{"chargePointVendor":"V"}]"#, "OccurenceConstraintViolation"),
            (#"[2,"m","Heartbeat",{"extra":1}]"#, "OccurenceConstraintViolation"),
            (
                #"[2,"m","StatusNotification",{"connectorId":"1","errorCode":"NoError","status":"Available"}]"#,
                "TypeConstraintViolation"
            ),
            (
                #"[2,"m","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Sleeping"}]"#,
                "PropertyConstraintViolation"
            ),
        ])
    func schemaViolations(text: String, code: String) async throws {
        let world = Self.connectedWorld()
        #expect(errorCode(try await world.send(text)) == code)
        let state = world.chargers.state(OcppWorld.chargePointId)
        #expect(state?.boot == nil && state?.lastHeartbeat == nil && state?.connectors.isEmpty == true)
        #expect(world.harness.publisher.messages.isEmpty)
    }

    @Test("a handler's OcppCallError is its CALLERROR; any other error is InternalError")
    func handlerErrors() async throws {
        let world = Self.connectedWorld()
        let cases: [(any Error & Sendable, String)] = [
            (OcppCallError(.genericError, "no"), "GenericError"), (FailingAction.Broken(), "InternalError"),
        ]
        for (error, code) in cases {
            let handler = OcppMessageHandler(world.deps, dispatcher: OcppDispatcher([FailingAction(error: error)]))
            let response = await world.respond(handler, try OcppWorld.message(#"[2,"m9","Heartbeat",{}]"#))
            let reply = try OcppFrame.parse(Array((response.body ?? "").utf8)).get()
            #expect(errorCode(reply) == code)
            #expect(reply.messageId == "m9")
        }
    }

    @Test("a store failure while looking up the connection is InternalError")
    func lookupFailure() async throws {
        let world = OcppWorld(chargers: InMemoryChargerState(failing: InMemoryRegistry.Unavailable()))
        #expect(errorCode(try await world.send(#"[2,"m1","Heartbeat",{}]"#)) == "InternalError")
    }

    @Test("a CALLRESULT or CALLERROR resolves the outstanding CSMS call and is not answered")
    func resolvesOutstanding() async throws {
        let world = Self.connectedWorld()
        for (id, text) in [("c1", #"[3,"c1",{"status":"Accepted"}]"#), ("c2", #"[4,"c2","NotSupported","no",{}]"#)] {
            try await world.outstanding.claim(
                OutstandingCall(
                    chargePointId: OcppWorld.chargePointId, messageId: id, connectionId: OcppWorld.connectionId,
                    action: "Reset", sentAt: Harness.start, deadline: Harness.start + 10_000, awaited: true))
            #expect(try await world.send(text) == nil)
            let outcome = await world.outstanding.outcome(chargePointId: OcppWorld.chargePointId, messageId: id)
            #expect(outcome != nil)
            await world.outstanding.remove(chargePointId: OcppWorld.chargePointId, messageId: id)
        }
        #expect(try await world.send(#"[3,"nobody-asked",{}]"#) == nil)
    }

    @Test("the connection's charger is cached: a closed index entry still serves the process for a minute")
    func peerCache() async throws {
        let world = Self.connectedWorld()
        let handler = OcppMessageHandler(world.deps, dispatcher: .live(world.deps), peers: OcppPeerCache())
        let heartbeat = try OcppWorld.message(#"[2,"h1","Heartbeat",{}]"#)
        #expect(await world.respond(handler, heartbeat).body?.hasPrefix("[3,") == true)
        _ = try await world.chargers.disconnect(connectionId: OcppWorld.connectionId)
        #expect(await world.respond(handler, heartbeat).body?.hasPrefix("[3,") == true)
        world.harness.clock.advance(seconds: OcppPeerCache.ttlMilliseconds / 1000)
        #expect(await world.respond(handler, heartbeat).body?.contains("SecurityError") == true)
    }
}
