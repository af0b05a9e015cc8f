import ChargingCore
import ChargingCoreTesting
import ChargingWire
import FunctionRuntime
import Logging
import Testing

@Suite("RemoteStop")
struct RemoteStopTests {
    /// A world whose charger answers RemoteStopTransaction with `answer` and, when `reports`, sends its
    /// StopTransaction (the session stops with reason Remote) before answering.
    static func world(
        _ session: ChargingSession, answer: RecordingChargerCalls.Answer = .accepted, reports: Bool = true
    ) async throws -> OcppControlWorld {
        var world = try await OcppControlWorld([session])
        let service = world.harness.dependencies.service
        world.calls = RecordingChargerCalls(
            answers: ["RemoteStopTransaction": answer],
            onCall: { call in
                guard reports, call.action == "RemoteStopTransaction" else { return }
                _ = try await service.stop(sessionId: session.sessionId, reason: .remote, logger: Logger(label: "t"))
            })
        return world
    }

    @Test("RemoteStopTransaction {transactionId}, then the usual 200 from the session StopTransaction stopped")
    func stopped() async throws {
        let world = try await Self.world(OcppControlWorld.ocppSession(transactionId: 42))
        let response = try await world.stop("s-ocpp")
        #expect(response.statusCode == 200, "\(response.body)")
        let body = try json(response)
        #expect(body["status"] as? String == "STOPPED")
        #expect(body["stopReason"] as? String == "Remote")
        let call = try #require(world.calls.calls.first)
        #expect(call.action == "RemoteStopTransaction" && call.chargePointId == "ocpp-1")
        #expect(call.payload == ["transactionId": 42])
        #expect(call.timeout == .seconds(7))
        // A repeat returns the stored result without another call.
        let again = try await world.stop("s-ocpp")
        #expect(again.statusCode == 200)
        #expect(world.calls.calls.count == 1)
    }

    @Test("Rejected (or a CALLERROR) → 409 ChargerRejected; the session stays Charging")
    func rejected() async throws {
        for answer in [
            RecordingChargerCalls.Answer.rejected, .outcome(.error(code: "GenericError", description: "no")),
        ] {
            let world = try await Self.world(
                OcppControlWorld.ocppSession(transactionId: 42), answer: answer, reports: false)
            let response = try await world.stop("s-ocpp")
            #expect(response.statusCode == 409)
            #expect(try envelope(response).error == "ChargerRejected")
            #expect(await world.harness.store.session(id: "s-ocpp")?.status == .charging)
        }
    }

    @Test(
        "Accepted but no StopTransaction within the stop wait → 504; the session stays Charging; a later stop returns it"
    )
    func noStopTransaction() async throws {
        var world = try await Self.world(OcppControlWorld.ocppSession(transactionId: 42), reports: false)
        world.settings.stopWait = .milliseconds(250)
        let response = try await world.stop("s-ocpp")
        #expect(response.statusCode == 504)
        #expect(try envelope(response).error == "ChargerTimeout")
        #expect(await world.harness.store.session(id: "s-ocpp")?.status == .charging)
        // StopTransaction arrives later; the next /stop answers with the result.
        _ = try await world.harness.dependencies.service.stop(
            sessionId: "s-ocpp", reason: .local, logger: Logger(label: "t"))
        let later = try await world.stop("s-ocpp")
        #expect(later.statusCode == 200)
        #expect(try json(later)["stopReason"] as? String == "Local")
    }

    @Test(
        "call failures are answered as they are; the session stays Charging",
        arguments: [
            (ChargingErrorCode.chargerNotConnected, 409), (.chargerTimeout, 504), (.chargerBusy, 409),
        ])
    func callFailures(code: ChargingErrorCode, status: Int) async throws {
        let world = try await Self.world(
            OcppControlWorld.ocppSession(transactionId: 42), answer: .failure(ChargingError(code, "scripted")),
            reports: false)
        let response = try await world.stop("s-ocpp")
        #expect(response.statusCode == status)
        #expect(try envelope(response).error == code.rawValue)
        #expect(await world.harness.store.session(id: "s-ocpp")?.status == .charging)
    }

    @Test("a pending remote start (no transactionId) ends NotStarted at once, cost 0, without a call")
    func pending() async throws {
        let world = try await Self.world(OcppControlWorld.ocppSession())
        let response = try await world.stop("s-ocpp")
        #expect(response.statusCode == 200)
        #expect(try json(response)["stopReason"] as? String == "NotStarted")
        #expect(try json(response)["cost"] as? Double == 0)
        #expect(world.calls.calls.isEmpty)
        #expect(try world.harness.updates.map(\.status) == ["Stopped"])
    }

    @Test("a session that is not an OCPP session stops as before, without a call")
    func mqttSession() async throws {
        let world = try await Self.world(Harness.session("s-mqtt"))
        let response = try await world.stop("s-mqtt")
        #expect(response.statusCode == 200)
        #expect(try json(response)["stopReason"] as? String == "Requested")
        #expect(world.calls.calls.isEmpty)
    }

    @Test("a driver's stop of another user's OCPP session is 404 and sends nothing")
    func otherUser() async throws {
        let world = try await Self.world(OcppControlWorld.ocppSession(user: "bob", transactionId: 42))
        let response = try await world.stop("s-ocpp", as: .driver)
        #expect(response.statusCode == 404)
        #expect(world.calls.calls.isEmpty)
        #expect(await world.harness.store.session(id: "s-ocpp")?.status == .charging)
    }

    @Test("without OCPP_CONNECTIONS_ENDPOINT an OCPP session answers 503 and stays Charging")
    func unconfigured() async throws {
        var world = try await Self.world(OcppControlWorld.ocppSession(transactionId: 42))
        world.reachable = false
        #expect(try await world.stop("s-ocpp").statusCode == 503)
        #expect(await world.harness.store.session(id: "s-ocpp")?.status == .charging)
    }
}
