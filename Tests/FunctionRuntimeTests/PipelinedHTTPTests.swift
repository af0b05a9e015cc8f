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
        let server = try ScriptedServer(script: [[(2, Self.acknowledgement + Self.invocation, false)]])
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
        let server = try ScriptedServer(script: [[(2, closing, true)], [(1, Self.invocation, false)]])
        defer { server.stop() }
        let next = try RuntimeAPIClient(endpoint: "127.0.0.1:\(server.port)").respondThenNext(
            requestID: "r1", body: [])
        #expect(next.requestID == "r2")
        let received = server.received
        #expect(received.count == 2)
        #expect(received.last.map { String(decoding: $0, as: UTF8.self).hasPrefix("GET /2018-06-01/") } == true)
    }

    @Test func theSecondGoesAgainWhenTheConnectionClosesWithoutSayingSo() throws {
        let server = try ScriptedServer(script: [[(2, Self.acknowledgement, true)], [(1, Self.invocation, false)]])
        defer { server.stop() }
        let next = try RuntimeAPIClient(endpoint: "127.0.0.1:\(server.port)").respondThenNext(
            requestID: "r1", body: [])
        #expect(next.requestID == "r2")
        #expect(server.connections == 2)
    }

    @Test func aRefusedReportFailsWithItsStatusAndTheNextIsNotTaken() throws {
        let refused = "HTTP/1.1 400 Bad Request\r\nContent-Length: 7\r\n\r\nunknown"
        let server = try ScriptedServer(script: [[(2, refused + Self.invocation, false)]])
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
        let server = try ScriptedServer(script: [steps.map { (1, $0, false) }])
        defer { server.stop() }
        let loop = FunctionRuntimeLoop(
            client: RuntimeAPIClient(endpoint: "127.0.0.1:\(server.port)", pipelines: false), handler: EchoHandler(),
            logger: Logger(label: "t"))
        try await loop.run(maxInvocations: 2)
        let received = server.received
        #expect(received.map(ScriptedServer.completeRequests) == [1, 1, 1, 1])
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
