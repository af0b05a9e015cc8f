import ChargingCore
import ChargingCoreTesting
import ChargingWire
import FunctionRuntime
import Testing

@Suite("SendChargerCommand")
struct SendChargerCommandTests {
    /// `POST /chargers/{point}/commands` with `body`, sent by `identity` (an operator unless told).
    static func send(
        _ world: OcppControlWorld, _ body: String, point: String? = "ocpp-1", as identity: Identity = .operator
    ) async throws -> APIGatewayV2Response {
        var request = try Fixture.request("start", as: identity, body: body)
        request.routeKey = "POST /api/ChargingSessionAPI/chargers/{chargePointId}/commands"
        request.rawPath = "/api/ChargingSessionAPI/chargers/\(point ?? "")/commands"
        request.pathParameters = point.map { ["chargePointId": $0] }
        return try await world.harness.respond(
            SendChargerCommandHandler(control: world.control, authMode: .jwt), request)
    }

    @Test("Reset → 200 {action, status: Answered, result} with the charger's CALLRESULT")
    func answered() async throws {
        let world = try await OcppControlWorld()
        let response = try await Self.send(world, #"{"action":"Reset","payload":{"type":"Soft"}}"#)
        #expect(response.statusCode == 200, "\(response.body)")
        let body = try json(response)
        #expect(body["action"] as? String == "Reset")
        #expect(body["status"] as? String == "Answered")
        #expect((body["result"] as? [String: Any])?["status"] as? String == "Accepted")
        #expect(body["error"] == nil)
        let call = try #require(world.calls.calls.first)
        #expect(call.chargePointId == "ocpp-1" && call.action == "Reset" && call.payload == ["type": "Soft"])
        #expect(call.timeout == .seconds(7))
    }

    @Test("GetConfiguration without a payload sends {} and returns the keys")
    func getConfiguration() async throws {
        let world = try await OcppControlWorld(
            calls: RecordingChargerCalls(answers: [
                "GetConfiguration": .outcome(
                    .result(["configurationKey": [["key": "HeartbeatInterval", "readonly": false, "value": "300"]]]))
            ]))
        let response = try await Self.send(world, #"{"action":"GetConfiguration"}"#)
        #expect(response.statusCode == 200)
        #expect(world.calls.calls.first?.payload == .object([:]))
        let keys = try #require(try json(response)["result"] as? [String: Any])["configurationKey"] as? [[String: Any]]
        #expect(keys?.first?["value"] as? String == "300")
    }

    @Test("a CALLERROR → 200 {action, status: Error, error: {code, description}}")
    func callError() async throws {
        let world = try await OcppControlWorld(
            calls: RecordingChargerCalls(fallback: .outcome(.error(code: "NotSupported", description: "nope"))))
        let response = try await Self.send(world, #"{"action":"UnlockConnector","payload":{"connectorId":1}}"#)
        #expect(response.statusCode == 200)
        let body = try json(response)
        #expect(body["status"] as? String == "Error")
        #expect(body["result"] == nil)
        let error = try #require(body["error"] as? [String: Any])
        #expect(error["code"] as? String == "NotSupported" && error["description"] as? String == "nope")
    }

    @Test(
        "bad input is 400 naming the field, and nothing is sent",
        arguments: [
            (#"{"payload":{}}"#, "action"), (#"{"action":"RemoteStartTransaction","payload":{}}"#, "action"),
            (#"{"action":7}"#, "action"), (#"{"action":"Reset","payload":[]}"#, "payload"),
            (#"{"action":"Reset","payload":{}}"#, "payload.type"),
            (#"{"action":"Reset","payload":{"type":"Hard!"}}"#, "payload.type"),
            (#"{"action":"UnlockConnector","payload":{"connectorId":"1"}}"#, "payload.connectorId"),
            (#"{"action":"TriggerMessage","payload":{"requestedMessage":"Heartbeat","extra":1}}"#, "payload.extra"),
            ("[1]", "request body"), ("not json", "request body"),
        ])
    func badInput(body: String, field: String) async throws {
        let world = try await OcppControlWorld()
        let response = try await Self.send(world, body)
        #expect(response.statusCode == 400, "\(body)")
        #expect(try errorMessage(response).hasPrefix(field), "\(body): \(response.body)")
        #expect(world.calls.calls.isEmpty)
    }

    @Test("a driver is 403; a missing point id 400; an unknown point 404, an MQTT point 409 — nothing sent")
    func refused() async throws {
        let world = try await OcppControlWorld()
        let body = #"{"action":"Reset","payload":{"type":"Soft"}}"#
        #expect(try await Self.send(world, body, as: .driver).statusCode == 403)
        #expect(try await Self.send(world, body, point: nil).statusCode == 400)
        #expect(try await Self.send(world, body, point: "nope").statusCode == 404)
        let mqtt = try await Self.send(world, body, point: "cp-1")
        #expect(mqtt.statusCode == 409)
        #expect(mqtt.body.contains(#""error":"NotAnOcppCharger""#))
        #expect(world.calls.calls.isEmpty)
    }

    @Test(
        "not connected / busy → 409, no answer → 504",
        arguments: [
            (ChargingErrorCode.chargerNotConnected, 409), (.chargerBusy, 409), (.chargerTimeout, 504),
        ])
    func callFailures(code: ChargingErrorCode, status: Int) async throws {
        let world = try await OcppControlWorld(
            calls: RecordingChargerCalls(fallback: .failure(ChargingError(code, "scripted"))))
        let response = try await Self.send(world, #"{"action":"Reset","payload":{"type":"Hard"}}"#)
        #expect(response.statusCode == status)
        #expect(try envelope(response).error == code.rawValue)
    }

    @Test("without OCPP_CONNECTIONS_ENDPOINT → 503")
    func unconfigured() async throws {
        var world = try await OcppControlWorld()
        world.reachable = false
        #expect(try await Self.send(world, #"{"action":"Reset","payload":{"type":"Hard"}}"#).statusCode == 503)
    }
}
