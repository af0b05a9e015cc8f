import Logging
import Synchronization
import Testing

@testable import LocalRunner

@Suite("MQTTConnection")
struct MQTTConnectionTests {
    /// What the connection looked like at each SUBSCRIBE it queued.
    final class Subscribes: Sendable {
        let seen = Mutex<[(filter: String, connected: Bool)]>([])
    }

    @Test("on connect every filter is subscribed before the connection reports connected, a late one too")
    func subscribesBeforeReportingConnected() throws {
        let connection = try MQTTConnection(
            endpoint: MQTTEndpoint(host: "127.0.0.1", port: 1), clientID: "t", logger: Logger(label: "t")
        ) { _ in }
        defer { connection.close() }
        connection.subscribe(["a", "b"])
        let subscribes = Subscribes()
        connection.didConnect(0) { filter in
            subscribes.seen.withLock { $0.append((filter, connection.isConnected)) }
            // Another thread's subscribe while the connect is handled: not connected yet, so left to didConnect.
            if filter == "a" { connection.subscribe(["late"]) }
        }
        let seen = subscribes.seen.withLock { $0 }
        #expect(seen.map(\.filter) == ["a", "b", "late"])
        #expect(seen.allSatisfy { !$0.connected }, "a waiter could publish before its SUBSCRIBE was queued")
        #expect(connection.isConnected)
    }
}
