import ChargingCore
import ChargingCoreTesting
import FunctionRuntime
import Logging
import Testing

/// The world of the remote start/stop and command tests: a Harness plus an OCPP charger `ocpp-1` (connectors 1 and
/// 2, both Available, connected on `conn-1`), an MQTT point `cp-1`, idTags and scripted charger calls.
struct OcppControlWorld {
    static let registration = ChargerRegistration(
        chargePointId: "ocpp-1", ocpp: true,
        connectors: [.init(connectorId: 1, maxPower: 22), .init(connectorId: 2, maxPower: 11)],
        credentials: PasswordHash(iterations: 1, salt: [1], hash: [2]), registeredAt: Harness.start,
        provisioned: true)
    static let mqttRegistration = ChargerRegistration(
        chargePointId: "cp-1", ocpp: false, connectors: [.init(connectorId: 1, maxPower: 22)],
        credentials: PasswordHash(iterations: 1, salt: [1], hash: [2]), registeredAt: Harness.start,
        provisioned: true)

    var harness: Harness
    let registry = InMemoryRegistry([Self.registration, Self.mqttRegistration])
    let chargers = InMemoryChargerState(connected: "ocpp-1", connectionId: "conn-1")
    let idTags: InMemoryIdTags
    var calls: RecordingChargerCalls
    var settings = OcppSettings(callTimeout: .seconds(7), stopWait: .seconds(20))
    /// False: the function has no OCPP_CONNECTIONS_ENDPOINT.
    var reachable = true

    init(
        _ sessions: [ChargingSession] = [], idTags: [IdTagRecord] = [], calls: RecordingChargerCalls = .init(),
        statuses: [Int: String] = [1: "Available", 2: "Available"]
    ) async throws {
        harness = Harness(sessions)
        self.idTags = InMemoryIdTags(idTags)
        self.calls = calls
        for (connectorId, status) in statuses {
            _ = try await chargers.recordStatus(
                chargePointId: "ocpp-1",
                status: ConnectorStatusRecord(
                    connectorId: connectorId, status: status, errorCode: "NoError", receivedAt: Harness.start))
        }
    }

    var control: OcppControl {
        OcppControl(
            registry: registry, chargers: chargers, idTags: idTags, calls: reachable ? calls : nil, settings: settings)
    }

    /// `POST /start` with `body`.
    func start(_ body: String) async throws -> APIGatewayV2Response {
        try await harness.respond(
            StartSessionHandler(harness.dependencies, ocpp: control), Fixture.request("start", body: body))
    }

    /// `POST /stop` of `sessionId`, as `identity` (the anonymous operator of `AUTH_MODE=none` unless told).
    func stop(_ sessionId: String, as identity: Identity? = nil) async throws -> APIGatewayV2Response {
        var harness = harness
        var request = try Fixture.request("stop", body: #"{"sessionId":"\#(sessionId)"}"#)
        if let identity {
            harness.authMode = .jwt
            request.requestContext.authorizer = try identity.authorizer
        }
        return try await harness.respond(StopSessionHandler(harness.dependencies, ocpp: control), request)
    }

    /// An OCPP session of `ocpp-1` connector 1 (with `transactionId` when given).
    static func ocppSession(
        _ id: String = "s-ocpp", user: String = "user-42", transactionId: Int64? = nil, startedMinutesAgo: Int64 = 30
    ) -> ChargingSession {
        var session = Harness.session(id, point: "ocpp-1", user: user, startedMinutesAgo: startedMinutesAgo)
        session.connectorId = 1
        session.idTag = "TAG-1"
        session.transactionId = transactionId
        session.meterStartWh = transactionId.map { _ in 1000 }
        return session
    }
}
