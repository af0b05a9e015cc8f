import Foundation
import Logging
import Synchronization
import Testing

@testable import FunctionRuntime

#if canImport(Glibc)
import Glibc
#endif

/// `send(_:then:)` over the plain connection: both requests in one write, answers read in order (RFC 9112 §9.3).
@Suite("Pipelined HTTP")
struct PipelinedHTTPTests {
    static let acknowledgement = "HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}"
    static let invocation =
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r2\r\nLambda-Runtime-Deadline-Ms: 7\r\nContent-Length: 2\r\n\r\n{}"

    @Test func bothRequestsAreWrittenBeforeAnyAnswerAndAnsweredInOrder() throws {
        // The server answers nothing until both requests are in: a client that waited for the first answer
        // before writing the second would time out (the first request's 5 s).
        let server = try PipelineServer(script: [[(2, Self.acknowledgement + Self.invocation, false)]])
        defer { server.stop() }
        let client = RuntimeAPIClient(endpoint: "127.0.0.1:\(server.port)")
        let next = try client.respondThenNext(requestID: "r1", body: Array(#"{"ok":true}"#.utf8))
        #expect(next.requestID == "r2" && next.deadlineMilliseconds == 7 && next.body == Array("{}".utf8))
        let base = "/2018-06-01/runtime/invocation"
        let target = try #require(PlainHTTPTarget("http://127.0.0.1:\(server.port)\(base)/r1/response"))
        let nextTarget = try #require(PlainHTTPTarget("http://127.0.0.1:\(server.port)\(base)/next"))
        let expected =
            PlainHTTPConnection.encode(
                HTTPClientRequest(
                    method: "POST", url: "", headers: [("Content-Type", "application/json")],
                    body: Array(#"{"ok":true}"#.utf8)), target)
            + PlainHTTPConnection.encode(HTTPClientRequest(method: "GET", url: ""), nextTarget)
        #expect(server.received == [expected])
    }

    @Test func theSecondGoesAgainWhenTheFirstAnswerClosesTheConnection() throws {
        let closing = "HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        let server = try PipelineServer(script: [[(2, closing, true)], [(1, Self.invocation, false)]])
        defer { server.stop() }
        let next = try RuntimeAPIClient(endpoint: "127.0.0.1:\(server.port)").respondThenNext(
            requestID: "r1", body: [])
        #expect(next.requestID == "r2")
        let received = server.received
        #expect(received.count == 2)
        #expect(received.last.map { String(decoding: $0, as: UTF8.self).hasPrefix("GET /2018-06-01/") } == true)
    }

    @Test func aRefusedReportFailsWithItsStatusAndTheNextIsNotTaken() throws {
        let refused = "HTTP/1.1 400 Bad Request\r\nContent-Length: 7\r\n\r\nunknown"
        let server = try PipelineServer(script: [[(2, refused + Self.invocation, false)]])
        defer { server.stop() }
        do {
            _ = try RuntimeAPIClient(endpoint: "127.0.0.1:\(server.port)").respondThenNext(requestID: "r1", body: [])
            Issue.record("a 400 for the report was taken as success")
        } catch {
            #expect(error.code == .runtimeAPI)
            #expect(error.message == "POST /invocation/r1/response answered 400: unknown")
        }
    }
    @Test(.timeLimit(.minutes(1))) func withPipeliningOffEachRequestWaitsForTheAnswerBefore() async throws {
        func invocation(_ id: String) -> String {
            let body = #"{"value":"\#(id)"}"#
            return
                "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: \(id)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        }
        let steps = [invocation("r1"), Self.acknowledgement, invocation("r2"), Self.acknowledgement]
        let server = try PipelineServer(script: [steps.map { (1, $0, false) }])
        defer { server.stop() }
        let loop = FunctionRuntimeLoop(
            client: RuntimeAPIClient(endpoint: "127.0.0.1:\(server.port)", pipelines: false), handler: EchoHandler(),
            logger: Logger(label: "t"))
        try await loop.run(maxInvocations: 2)
        let received = server.received
        #expect(received.map(PipelineServer.completeRequests) == [1, 1, 1, 1])
        #expect(
            received.map { String(decoding: $0, as: UTF8.self).prefix(4) } == ["GET ", "POST", "GET ", "POST"])
    }

    @Test func pipeliningIsOnUnlessTheEnvironmentTurnsItOff() {
        #expect(RuntimeAPIClient.pipelining(FunctionEnvironment([:])))
        #expect(RuntimeAPIClient.pipelining(FunctionEnvironment(["EVCSM_RUNTIME_PIPELINING": "1"])))
        for off in ["0", "off", "OFF", "false", "no"] {
            #expect(!RuntimeAPIClient.pipelining(FunctionEnvironment(["EVCSM_RUNTIME_PIPELINING": off])), "\(off)")
        }
    }
}

/// A loopback server that, per connection, waits for a number of complete requests (head and `Content-Length`
/// body), records the bytes of those requests as one chunk, then writes a scripted answer (and closes when told).
final class PipelineServer: @unchecked Sendable {
    /// Per connection, its steps: (requests to wait for, answer, close after it).
    typealias Script = [[(Int, String, Bool)]]
    let port: Int
    private let listener: LoopbackListener
    private let state = Mutex<[[UInt8]]>([])
    private let script: Script

    /// Each step's request bytes, in order.
    var received: [[UInt8]] { state.withLock { $0 } }

    init(script: Script) throws {
        self.script = script
        listener = try LoopbackListener()
        port = listener.port
        listener.start { [self] in serve() }
    }

    func stop() { listener.stop() }

    private func serve() {
        for steps in script {
            let connection = accept(listener.descriptor, nil, nil)
            guard connection >= 0 else { return }
            var buffer: [UInt8] = []
            for (count, answer, closeAfter) in steps {
                while Self.completeRequests(buffer) < count {
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    let read = recv(connection, &chunk, chunk.count, 0)
                    guard read > 0 else { break }
                    buffer += chunk[..<read]
                }
                state.withLock { $0.append(buffer) }
                buffer = []
                _ = Array(answer.utf8).withUnsafeBytes {
                    send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if closeAfter { break }
            }
            close(connection)
        }
    }

    /// How many whole requests `bytes` holds.
    static func completeRequests(_ bytes: [UInt8]) -> Int {
        var count = 0
        var start = 0
        while let end = (start..<max(start, bytes.count - 3)).first(where: { bytes[$0..<($0 + 4)] == [13, 10, 13, 10] })
        {
            let head = String(decoding: bytes[start..<end], as: UTF8.self).lowercased()
            let length =
                head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            guard end + 4 + length <= bytes.count else { break }
            count += 1
            start = end + 4 + length
        }
        return count
    }
}
