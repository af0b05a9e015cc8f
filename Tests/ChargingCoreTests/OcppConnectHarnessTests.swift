import ChargingCore
import ChargingCoreTesting
import ChargingWire
import Foundation
import FunctionRuntime
import Testing

/// One OCPP world for the Ocpp* handler tests: the in-memory fakes of every collaborator, the charger `CP-0001`
/// (OCPP, connectors 1 at 22 kW and 2 at 11 kW, password ``password``) and the WebSocket event fixtures.
struct OcppWorld {
    static let chargePointId = "CP-0001"
    static let password = "fixture-password-7Hq2"
    /// The connectionId of the `events/websocket-*.json` fixtures.
    static let connectionId = "Sx3DAcw-IAMCLsw="

    static func registration(
        _ id: String = chargePointId, ocpp: Bool = true, password: String = password, provisioned: Bool = true
    ) -> ChargerRegistration {
        ChargerRegistration(
            chargePointId: id, ocpp: ocpp,
            connectors: [
                ChargerConnector(connectorId: 1, maxPower: 22), ChargerConnector(connectorId: 2, maxPower: 11),
            ],
            credentials: .make(password: password, iterations: 10), registeredAt: Harness.start - 86_400_000,
            provisioned: provisioned)
    }

    let harness = Harness()
    let registry: InMemoryRegistry
    let chargers: InMemoryChargerState
    let outstanding = InMemoryOutstandingCalls()

    init(registrations: [ChargerRegistration] = [registration()], chargers: InMemoryChargerState = .init()) {
        registry = InMemoryRegistry(registrations)
        self.chargers = chargers
    }

    var deps: OcppDependencies {
        OcppDependencies(
            charging: harness.dependencies, registry: registry, chargers: chargers, idTags: InMemoryIdTags(),
            transactions: InMemoryTransactionIds(), calls: RecordingChargerCalls(), outstanding: outstanding,
            settings: OcppSettings(heartbeatInterval: 240))
    }

    /// A WebSocket event fixture (`events/websocket-<name>.json`).
    static func event(_ name: String) throws -> APIGatewayWebSocketRequest {
        try JSONCoding.decoder.decode(
            APIGatewayWebSocketRequest.self, from: Fixture.bytes("events/websocket-\(name).json"))
    }

    /// The `$connect` fixture with other headers (in `headers` and `multiValueHeaders`; nil removes one) or another
    /// identity.
    static func connect(
        headers changes: [String: String?] = [:], chargePointId: String?? = .none
    ) throws -> APIGatewayWebSocketRequest {
        var request = try event("connect")
        for (name, value) in changes {
            request.headers?[name] = value
            request.multiValueHeaders?[name] = value.map { [$0] }
        }
        if case .some(let id) = chargePointId { request.queryStringParameters = id.map { ["chargePointId": $0] } }
        return request
    }

    /// The `$default` fixture carrying `text` (on `connectionId`).
    static func message(_ text: String, connectionId: String = connectionId) throws -> APIGatewayWebSocketRequest {
        var request = try event("message")
        request.body = text
        request.requestContext.connectionId = connectionId
        return request
    }

    /// `Authorization: Basic base64(user:password)`.
    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    /// Runs a WebSocket handler through the runtime's adapter.
    func respond(
        _ handler: some WebSocketFunction, _ request: APIGatewayWebSocketRequest
    ) async
        -> APIGatewayWebSocketResponse
    {
        await WebSocketFunctionAdapter(handler).respond(to: request, context: .local())
    }

    /// Sends `text` as the connected charger and returns the reply frame (nil when there is none).
    func send(_ text: String, connectionId: String = connectionId) async throws -> OcppFrame? {
        let response = await respond(OcppMessageHandler(deps), try Self.message(text, connectionId: connectionId))
        #expect(response.statusCode == 200)
        guard let body = response.body, !body.isEmpty else { return nil }
        return try OcppFrame.parse(Array(body.utf8)).get()
    }

    /// The `chargepoint/status` messages published so far.
    var statusMessages: [ChargerStatusMessage] {
        get throws {
            try harness.publisher.messages.filter { $0.topic == ChargerStatusMessage.topic }.map {
                try JSONCoding.decoder.decode(ChargerStatusMessage.self, from: Data($0.payload))
            }
        }
    }
}

/// The CALLERROR code of a reply, or nil for another frame.
func errorCode(_ frame: OcppFrame?) -> String? {
    guard case .callError(_, let code, _, _)? = frame else { return nil }
    return code
}

/// The CALLRESULT payload of a reply, or nil for another frame.
func resultPayload(_ frame: OcppFrame?) -> OcppJSON? {
    guard case .callResult(_, let payload)? = frame else { return nil }
    return payload
}

@Suite("OCPP fixtures")
struct OcppConnectHarnessTests {
    @Test("the WebSocket fixtures decode into the event type with the fields the functions read")
    func fixturesDecode() throws {
        let connect = try OcppWorld.event("connect")
        #expect(connect.requestContext.eventType == "CONNECT")
        #expect(connect.queryStringParameters?["chargePointId"] == OcppWorld.chargePointId)
        #expect(connect.header("authorization") == OcppWorld.basic(OcppWorld.chargePointId, OcppWorld.password))
        #expect(connect.requestContext.identity?.sourceIp == "192.0.2.1")
        let disconnect = try OcppWorld.event("disconnect")
        #expect(disconnect.requestContext.disconnectStatusCode == 1000)
        #expect(try OcppWorld.event("message").requestContext.connectionId == OcppWorld.connectionId)
    }
}
