import ChargingCore
import ChargingCoreTesting
import ChargingWire
import DataAPI
import Foundation
import FunctionRuntime
import Testing

/// The JSON fixtures of real event shapes under `Tests/Fixtures`.
enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    static func bytes(_ name: String) throws -> Data { try Data(contentsOf: root.appendingPathComponent(name)) }

    /// An API Gateway HTTP API v2 event from `http/<name>.json`, optionally with another JSON body.
    static func request(_ name: String, body: String? = nil) throws -> APIGatewayV2Request {
        var request = try JSONCoding.decoder.decode(APIGatewayV2Request.self, from: bytes("http/\(name).json"))
        if let body {
            request.body = body
            request.isBase64Encoded = false
        }
        return request
    }

    /// An HTTP event from `http/<name>.json` with other query parameters.
    static func request(_ name: String, query: [String: String]) throws -> APIGatewayV2Request {
        var request = try Fixture.request(name)
        request.queryStringParameters = query
        request.rawQueryString = query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            .joined(separator: "&")
        return request
    }

    /// An AWS IoT rule event from `iot/<name>.json`.
    static func message(_ name: String) throws -> TopicMessage {
        try JSONCoding.decoder.decode(TopicMessage.self, from: bytes("iot/\(name).json"))
    }
}

/// One function's world in a test: in-memory store, recording publisher, fixed clock.
struct Harness {
    /// 2026-11-26T11:09:55.123Z, the `ts` of the IoT fixtures.
    static let start: Int64 = 1_795_691_395_123
    static let fixtureSessionID = "3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17"

    let store: InMemorySessionStore
    let publisher = RecordingPublisher()
    let metrics = RecordingMetricsEmitter()
    let clock = FixedClock(milliseconds: Harness.start)
    var tariff = Tariff()
    var defaults = ChargingDefaults()
    /// `AUTH_MODE`: the tests of the original behaviour run open (anonymous operator); ScopingTests use `.jwt`.
    var authMode = AuthMode.none

    init(_ sessions: [ChargingSession] = []) { store = InMemorySessionStore(sessions) }

    var dependencies: FunctionDependencies {
        FunctionDependencies(
            store: store, publisher: publisher, tariff: tariff, clock: clock, defaults: defaults, metrics: metrics,
            authMode: authMode)
    }

    /// Runs an HTTP handler through the runtime's adapter, which maps errors to envelopes.
    func respond(_ handler: some HTTPFunction, _ request: APIGatewayV2Request) async throws -> APIGatewayV2Response {
        await HTTPFunctionAdapter(handler).respond(to: request, context: .local())
    }

    /// Runs a topic handler.
    func deliver(_ handler: some TopicFunction, _ message: TopicMessage) async throws {
        _ = try await handler.handle(message, context: .local())
    }

    /// The `session/updates` messages published so far, decoded.
    var updates: [SessionUpdate] {
        get throws {
            try publisher.messages.map { message in
                #expect(message.topic == "session/updates")
                return try SessionUpdate.decode(message.payload)
            }
        }
    }

    /// A stored session, for seeding stores.
    static func session(
        _ id: String = fixtureSessionID, point: String = "cp-1", user: String = "user-42",
        status: SessionStatus = .charging, startedMinutesAgo: Int64 = 30, energyWh: Int64 = 0,
        targetEnergyWh: Int64 = 22_000
    ) -> ChargingSession {
        let startTime = start - startedMinutesAgo * 60_000
        var session = ChargingSession(
            sessionId: id, chargingPointId: point, userId: user, vehicleId: "vehicle-7", startTime: startTime,
            energyWh: energyWh, maxPower: 11, targetCharge: 80, targetEnergyWh: targetEnergyWh, currency: "EUR")
        if status == .stopped {
            session = session.stopped(at: startTime + 10 * 60_000, reason: .requested, tariff: Tariff())
        }
        return session
    }
}

/// A response body as a JSON object.
func json(_ response: APIGatewayV2Response) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8))
    return try #require(object as? [String: Any], "body is not a JSON object: \(response.body)")
}

/// A response body's `message`, for checking that a 400 names its field.
func errorMessage(_ response: APIGatewayV2Response) throws -> String {
    try #require(try json(response)["message"] as? String)
}
