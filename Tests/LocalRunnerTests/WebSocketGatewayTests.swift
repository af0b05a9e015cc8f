import Foundation
import FunctionRuntime
import HummingbirdWSClient
import Synchronization
import Testing

@testable import LocalRunner

/// The WebSocket API emulation, in process: a real WebSocket client against the runner's server and a fake Lambda.
@Suite("WebSocket API emulation")
struct WebSocketGatewayTests {
    /// `$connect` answers `ocpp1.6`, `$default` echoes the frame.
    static func ocppInvoker() -> WebSocketFakeInvoker {
        WebSocketFakeInvoker { event in
            switch event.requestContext.routeKey {
            case "$connect": return reply(headers: ["Sec-WebSocket-Protocol": "ocpp1.6"])
            case "$default": return reply(body: "echo:" + (event.body ?? ""))
            default: return reply()
            }
        }
    }

    @Test func connectIsAcceptedWithTheSubprotocolAndSeesIdentityHeadersAndQuery() async throws {
        let invoker = Self.ocppInvoker()
        try await WebSocketHarness.withServer(invoker: invoker) { port, _ in
            let (status, headers) = try await WebSocketHarness.handshake(
                port: port, path: "/ocpp/cp%201?x=1",
                headers: [("Sec-WebSocket-Protocol", "ocpp1.6"), ("Authorization", "Basic abc")])
            #expect(status == 101)
            #expect(headers["sec-websocket-protocol"] == "ocpp1.6")
            let connect = try #require(try await invoker.await("$connect").first)
            #expect(connect.requestContext.eventType == "CONNECT")
            #expect(connect.requestContext.stage == "ocpp")
            #expect(connect.requestContext.connectionId.count == 16)
            #expect(connect.requestContext.identity?.sourceIp == "127.0.0.1")
            #expect(connect.queryStringParameters == ["chargePointId": "cp 1", "x": "1"])
            #expect(connect.header("authorization") == "Basic abc")
            #expect(connect.header("sec-websocket-protocol") == "ocpp1.6")
            let (queryStatus, _) = try await WebSocketHarness.handshake(port: port, path: "/ocpp?chargePointId=cp-2")
            #expect(queryStatus == 101)
            let second = try await invoker.await("$connect", count: 2)[1]
            #expect(second.queryStringParameters?["chargePointId"] == "cp-2")
            #expect(second.requestContext.connectionId != connect.requestContext.connectionId)
        }
    }

    @Test(arguments: [401, 404])
    func refusedConnectAnswersTheFunctionsStatus(status: Int) async throws {
        let invoker = WebSocketFakeInvoker { _ in
            reply(status, headers: ["WWW-Authenticate": #"Basic realm="evcsm""#], body: "refused")
        }
        try await WebSocketHarness.withServer(invoker: invoker) { port, _ in
            let (answered, headers) = try await WebSocketHarness.handshake(port: port, path: "/ocpp/cp-1")
            #expect(answered == status)
            #expect(headers["www-authenticate"] == #"Basic realm="evcsm""#)
            #expect(headers["sec-websocket-accept"] == nil)
            await #expect(throws: WebSocketClientError.self) {
                try await WebSocketHarness.connect(port: port) { _, _, _ in }
            }
            #expect(invoker.events("$disconnect").isEmpty)
            let (other, _) = try await WebSocketHarness.handshake(port: port, path: "/elsewhere/cp-1")
            #expect(other == 404)
        }
    }

    @Test func messagesRoundTripInOrderOneAtATime() async throws {
        let inFlight = Mutex((now: 0, most: 0))
        let invoker = WebSocketFakeInvoker { event in
            guard event.requestContext.routeKey == "$default" else { return reply() }
            inFlight.withLock {
                $0.now += 1; $0.most = max($0.most, $0.now)
            }
            try? await Task.sleep(for: .milliseconds(Int.random(in: 0...5)))
            inFlight.withLock { $0.now -= 1 }
            return reply(body: "echo:" + (event.body ?? ""))
        }
        try await WebSocketHarness.withServer(invoker: invoker) { port, _ in
            let answers = Mutex<[String]>([])
            try await WebSocketHarness.connect(port: port) { inbound, outbound, _ in
                for index in 0..<20 { try await outbound.write(.text("[2,\"\(index)\",\"Heartbeat\",{}]")) }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    let count = answers.withLock {
                        $0.append(text); return $0.count
                    }
                    if count == 20 { break }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            #expect(answers.withLock { $0 } == (0..<20).map { "echo:[2,\"\($0)\",\"Heartbeat\",{}]" })
            #expect(inFlight.withLock { $0.most } == 1)
            let message = try #require(invoker.events("$default").first)
            #expect(message.requestContext.eventType == "MESSAGE")
            #expect(message.isBase64Encoded == false)
            #expect(message.headers == nil && message.queryStringParameters == nil)
            let disconnect = try await invoker.await("$disconnect")
            #expect(disconnect.count == 1)
            #expect(disconnect[0].requestContext.disconnectStatusCode == 1000)
            #expect(disconnect[0].requestContext.connectionId == message.requestContext.connectionId)
        }
    }

    @Test func aMessageOver128KiBClosesWith1009WithoutAnInvocation() async throws {
        let invoker = Self.ocppInvoker()
        try await WebSocketHarness.withServer(invoker: invoker) { port, _ in
            let close = try await WebSocketHarness.connect(port: port) { inbound, outbound, _ in
                try await outbound.write(.text(String(repeating: "x", count: 129 * 1024)))
                for try await _ in inbound {}
            }
            #expect(close?.closeCode == .messageTooLarge)
            let disconnect = try await invoker.await("$disconnect")
            #expect(disconnect.map(\.requestContext.disconnectStatusCode) == [1009])
            #expect(invoker.events("$default").isEmpty)
        }
    }

    @Test func exactly128KiBIsDelivered() async throws {
        let invoker = WebSocketFakeInvoker { _ in reply() }
        try await WebSocketHarness.withServer(invoker: invoker) { port, _ in
            try await WebSocketHarness.connect(port: port) { _, outbound, _ in
                try await outbound.write(.text(String(repeating: "x", count: 128 * 1024)))
                _ = try await invoker.await("$default")
                try await outbound.close(.normalClosure, reason: nil)
            }
            #expect(invoker.events("$default").first?.body?.utf8.count == 128 * 1024)
        }
    }

    @Test func chargepointStatusReachesEverySignedInStreamAndTheBridgeSubscribesToIt() async throws {
        #expect(EventStream.topics.contains("chargepoint/status"))
        let events = EventStream(keepAlive: .seconds(3600))
        let driver = try #require(events.subscribe(isOperator: false))
        let status = #"{"chargePointId":"cp-1","connected":true,"timestamp":"2026-12-01T10:00:00.000Z"}"#
        events.accept(MQTTMessage(topic: "chargepoint/status", payload: Array(status.utf8)))
        events.close()
        var frames: [String] = []
        for await frame in driver { frames.append(frame) }
        #expect(frames == ["event: chargepoint/status\ndata: \(status)\n\n"])
    }
}
