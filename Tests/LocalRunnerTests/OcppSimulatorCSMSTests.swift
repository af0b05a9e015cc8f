import ChargingWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import Testing

/// A small CSMS for the simulator's tests: a WebSocket server that records every handshake and frame in order,
/// answers the charger's CALLs with canned results (unless the action is held), and sends CALLs of its own.
actor FakeCSMS {
    /// One thing that happened, in order.
    enum Event: Sendable {
        case received(OcppFrame, connection: Int)
        /// A CALLRESULT to the charger's CALL `messageId` is about to be written.
        case answered(messageId: String)
    }

    struct Handshake: Sendable {
        var path: String
        var headers: HTTPFields
    }

    private(set) var events: [Event] = []
    private(set) var handshakes: [Handshake] = []
    private var writers: [Int: WebSocketOutboundWriter] = [:]
    private var held: Set<String> = []
    private var heldCalls: [(messageId: String, action: String)] = []
    private var answers: [String: OcppFrame] = [:]
    private var nextTransactionId: Int64 = 4_200
    /// The Heartbeat interval BootNotification returns (seconds).
    var heartbeatInterval: Int64 = 1

    /// Runs `body` with a CSMS listening on an ephemeral 127.0.0.1 port.
    static func withServer(_ body: @Sendable (FakeCSMS, Int) async throws -> Void) async throws {
        let csms = FakeCSMS()
        let app = Application(
            router: Router(),
            server: .http1WebSocketUpgrade { request, _, _ in
                let connection = await csms.handshake(request)
                return .upgrade([.secWebSocketProtocol: "ocpp1.6"]) { inbound, outbound, _ in
                    await csms.opened(connection, outbound)
                    for try await message in inbound.messages(maxSize: 1 << 17) {
                        guard case .text(let text) = message else { continue }
                        await csms.receive(text, connection: connection)
                    }
                }
            },
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body(csms, try #require(client.port))
        }
    }

    func handshake(_ request: HTTPRequest) -> Int {
        handshakes.append(Handshake(path: request.path ?? "", headers: request.headerFields))
        return handshakes.count
    }

    func opened(_ connection: Int, _ writer: WebSocketOutboundWriter) { writers[connection] = writer }

    /// Leaves the charger's CALLs of `action` unanswered until ``release(_:)``.
    func hold(_ action: String) { held.insert(action) }

    /// Answers the held CALLs of `action` and stops holding it.
    func release(_ action: String) async {
        held.remove(action)
        let due = heldCalls.filter { $0.action == action }
        heldCalls.removeAll { $0.action == action }
        for call in due { await answer(call.messageId, action: action, payload: [:]) }
    }

    func receive(_ text: String, connection: Int) async {
        guard case .success(let frame) = OcppFrame.parse(Array(text.utf8)) else {
            Issue.record("the charger sent an unreadable frame: \(text)")
            return
        }
        events.append(.received(frame, connection: connection))
        switch frame {
        case .call(let messageId, let action, let payload):
            if held.contains(action) {
                heldCalls.append((messageId, action))
            } else {
                await answer(messageId, action: action, payload: payload)
            }
        case .callResult(let messageId, _), .callError(let messageId, _, _, _):
            answers[messageId] = frame
        }
    }

    private func answer(_ messageId: String, action: String, payload: OcppJSON) async {
        let now = OcppJSON.string("2026-12-01T12:00:00.000Z")
        let result: OcppJSON
        switch action {
        case "BootNotification":
            result = ["status": "Accepted", "currentTime": now, "interval": .integer(heartbeatInterval)]
        case "Heartbeat": result = ["currentTime": now]
        case "StartTransaction":
            nextTransactionId += 1
            result = ["transactionId": .integer(nextTransactionId), "idTagInfo": ["status": "Accepted"]]
        default: result = [:]
        }
        events.append(.answered(messageId: messageId))
        try? await writers[writers.keys.max() ?? 0]?.write(
            .text(
                String(
                    decoding: OcppFrame.callResult(messageId: messageId, payload: result).serialized(), as: UTF8.self)))
    }

    /// Sends a CALL on the newest connection and waits for the charger's answer.
    func call(_ action: String, _ payload: OcppJSON) async throws -> OcppFrame {
        let messageId = UUID().uuidString
        let writer = try #require(writers[writers.keys.max() ?? 0])
        try await writer.write(
            .text(
                String(
                    decoding: OcppFrame.call(messageId: messageId, action: action, payload: payload).serialized(),
                    as: UTF8.self)))
        try await until("the answer to \(action)") { answers[messageId] != nil }
        return answers[messageId]!
    }

    /// Closes the newest connection from the server's side.
    func closeConnection() async throws {
        try await writers[writers.keys.max() ?? 0]?.close(.goingAway, reason: "test drops the charger")
    }

    /// The charger's CALLs in the order received: (connection, action, payload, messageId).
    var calls: [(connection: Int, action: String, payload: OcppJSON, messageId: String)] {
        events.compactMap { event in
            guard case .received(.call(let id, let action, let payload), let connection) = event else { return nil }
            return (connection, action, payload, id)
        }
    }

    /// Waits until the charger sent `count` CALLs of `action` (matching `filter`); returns them.
    func waitForCalls(
        _ action: String, count: Int = 1, timeout: TimeInterval = 20, where filter: (OcppJSON) -> Bool = { _ in true }
    ) async throws -> [OcppJSON] {
        try await until("\(count) × \(action)", timeout: timeout) {
            calls.filter { $0.action == action && filter($0.payload) }.count >= count
        }
        return calls.filter { $0.action == action && filter($0.payload) }.map(\.payload)
    }

    /// Polls `condition` on the actor until it holds (a fact, with a generous deadline).
    private func until(_ what: String, timeout: TimeInterval = 20, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { throw HarnessError("timed out after \(timeout) s waiting for: \(what)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// OCPP-J §4.1.1 as seen here: every CALL of the charger came after the answer to its previous one.
    func checkOneOutstandingCall() {
        var outstanding: String?
        for event in events {
            switch event {
            case .received(.call(let messageId, let action, _), _):
                // A CALL unanswered when its connection dropped is sent again (same id) on the next one.
                #expect(
                    outstanding == nil || outstanding == messageId,
                    "\(action) sent while \(outstanding ?? "") was unanswered")
                outstanding = messageId
            case .answered(let messageId) where messageId == outstanding:
                outstanding = nil
            default: break
            }
        }
    }
}
