import Foundation
import FunctionRuntime
import HummingbirdWSClient
import Synchronization
import Testing

@testable import LocalRunner

/// `@connections` (SigV4, service `execute-api`) and API Gateway's idle timeout.
@Suite("WebSocket API management and limits")
struct WebSocketManagementTests {
    @Test func postDeliversGetDescribesDeleteClosesThenGone() async throws {
        let invoker = WebSocketGatewayTests.ocppInvoker()
        try await WebSocketHarness.withServer(invoker: invoker) { port, _ in
            let received = Mutex<[String]>([])
            let close = try await WebSocketHarness.connect(port: port) { inbound, _, _ in
                let id = try #require(try await invoker.await("$connect").first).requestContext.connectionId
                let posted = try await WebSocketHarness.management(
                    "POST", port: port, id, body: #"[2,"m1","Reset",{}]"#)
                #expect(posted.status == 200)
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                if case .text(let text)? = try await messages.next() { received.withLock { $0.append(text) } }
                let info = try await WebSocketHarness.management("GET", port: port, id)
                #expect(info.status == 200)
                let text = String(decoding: info.body, as: UTF8.self)
                #expect(text.contains(#""sourceIp":"127.0.0.1""#))
                #expect(text.contains(#""connectedAt":"20"#) && text.contains(#""lastActiveAt":"20"#))
                #expect(try await WebSocketHarness.management("DELETE", port: port, id).status == 204)
                while try await messages.next() != nil {}
            }
            #expect(received.withLock { $0 } == [#"[2,"m1","Reset",{}]"#])
            #expect(close?.closeCode == .normalClosure)
            let disconnect = try await invoker.await("$disconnect")
            let id = disconnect[0].requestContext.connectionId
            let gone = try await WebSocketHarness.management("POST", port: port, id, body: "[]")
            #expect(gone.status == 410)
            #expect(String(decoding: gone.body, as: UTF8.self) == #"{"message":"Gone"}"#)
            #expect(try await WebSocketHarness.management("GET", port: port, id).status == 410)
            #expect(try await WebSocketHarness.management("DELETE", port: port, id).status == 410)
            try await Task.sleep(for: .milliseconds(200))
            #expect(invoker.events("$disconnect").count == 1)
        }
    }

    @Test func unsignedOrWronglySignedManagementCallsAre403AndSendNothing() async throws {
        let invoker = WebSocketGatewayTests.ocppInvoker()
        try await WebSocketHarness.withServer(invoker: invoker) { port, _ in
            try await WebSocketHarness.connect(port: port) { _, outbound, _ in
                let id = try #require(try await invoker.await("$connect").first).requestContext.connectionId
                let unsigned = try await WebSocketHarness.management("POST", port: port, id, body: "[]", signed: false)
                #expect(unsigned.status == 403)
                #expect(unsigned.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException")
                let stranger = try await WebSocketHarness.management(
                    "POST", port: port, id, body: "[]", with: WorkerCredentials.generate())
                #expect(stranger.status == 403)
                #expect(try await WebSocketHarness.management("DELETE", port: port, id, signed: false).status == 403)
                try await outbound.close(.normalClosure, reason: nil)
            }
            #expect(try await invoker.await("$disconnect").count == 1)
        }
    }

    @Test func anIdleConnectionIsClosedWith1001AndDisconnected() async throws {
        var settings = WebSocketGatewaySettings()
        settings.idleTimeout = .seconds(1)
        let invoker = WebSocketGatewayTests.ocppInvoker()
        try await WebSocketHarness.withServer(invoker: invoker, settings: settings) { port, _ in
            let close = try await WebSocketHarness.connect(port: port) { inbound, _, _ in
                for try await _ in inbound {}
            }
            #expect(close?.closeCode == .goingAway)
            let disconnect = try await invoker.await("$disconnect")
            #expect(disconnect.map(\.requestContext.disconnectStatusCode) == [1001])
        }
    }

    @Test func plainHTTPIsServedBesideTheWebSocketAPI() async throws {
        try await WebSocketHarness.withServer(invoker: WebSocketFakeInvoker()) { port, _ in
            let health = try await WebSocketHarness.get(port: port, "/healthz")
            #expect(health.status == 200)
        }
    }

    @Test func settingsKeepAPIGatewaysLimitsUnlessTheIdleTimeoutIsShortened() {
        let defaults = WebSocketGatewaySettings.from(environment: [:])
        #expect(defaults.idleTimeout == .seconds(600))
        #expect(defaults.maximumLifetime == .seconds(7200))
        #expect(defaults.maximumMessageBytes == 131_072)
        let short = WebSocketGatewaySettings.from(environment: [WebSocketGatewaySettings.idleTimeoutVariable: "2"])
        #expect(short.idleTimeout == .seconds(2))
        #expect(
            WebSocketGatewaySettings.from(environment: [WebSocketGatewaySettings.idleTimeoutVariable: "x"]) == defaults)
    }
}
