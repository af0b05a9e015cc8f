import Dispatch
import Foundation
import Logging
import Testing

@testable import LocalRunner

/// The Runtime API served to a worker, driven over raw loopback connections against a ``WorkerProcess`` whose
/// process is not started (the test plays the function).
@Suite("Runtime API server")
struct RuntimeAPIServerTests {
    static let next = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"

    static func post(_ path: String, body: String) -> String {
        "POST /2018-06-01/runtime/\(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// A worker (never spawned) and its Runtime API server; its long Timeout keeps a slow, loaded machine from
    /// turning an invocation under test into a timeout.
    static func withWorker(
        _ body: (WorkerProcess, Int) async throws -> Void
    ) async throws {
        let worker = WorkerProcess(
            function: FunctionDefinition(logicalId: "Fake", timeout: 600), number: 1, binary: "/bin/true",
            environment: [:],
            logger: Logger(label: "test"), metrics: RunnerMetrics(), onExit: { _ in })
        let server = try await RuntimeAPIServer.start(endpoint: worker, logger: Logger(label: "test"))
        defer { server.stop() }
        try await body(worker, server.port)
    }

    @Test("a /response for an unknown request id is refused with 400 and completes nothing")
    func unknownRequestID() async throws {
        try await Self.withWorker { worker, port in
            let invocation = Task { await worker.invoke(payload: Array(#"{"a":1}"#.utf8), requestID: "r1") }
            let connection = try await RawConnection.open(port: port)
            let first = try await connection.exchange(Self.next)
            #expect(first.status == 200)
            #expect(first.headers["lambda-runtime-aws-request-id"] == "r1")
            #expect(first.headers["lambda-runtime-invoked-function-arn"]?.hasSuffix(":function:Fake") == true)
            #expect(String(decoding: first.body, as: UTF8.self) == #"{"a":1}"#)
            let wrong = try await connection.exchange(Self.post("invocation/other/response", body: "{}"))
            #expect(wrong.status == 400)
            #expect(worker.state.withLock { $0.current?.requestID } == "r1")
            let right = try await connection.exchange(Self.post("invocation/r1/response", body: #"{"ok":true}"#))
            #expect(right.status == 202)
            #expect(await invocation.value.outcome == .success(Array(#"{"ok":true}"#.utf8)))
            let unknownPath = try await connection.exchange(Self.post("invocation/r1/nothing", body: ""))
            #expect(unknownPath.status == 404)
        }
    }

    @Test("/next after the worker was stopped answers 410 Gone")
    func nextAfterStop() async throws {
        try await Self.withWorker { worker, port in
            await worker.stop()
            let connection = try await RawConnection.open(port: port)
            #expect(try await connection.exchange(Self.next).status == 410)
        }
    }

    @Test("a parked /next is answered 410 when the worker stops")
    func parkedNextAtStop() async throws {
        try await Self.withWorker { worker, port in
            let connection = try await RawConnection.open(port: port)
            let answer = Task { try await connection.exchange(Self.next) }
            let deadline = ContinuousClock.now + .seconds(60)
            while worker.state.withLock({ $0.nextWaiter == nil }) {
                try #require(ContinuousClock.now < deadline, "the /next request was never parked")
                try await Task.sleep(for: .milliseconds(5))
            }
            await worker.stop()
            #expect(try await answer.value.status == 410)
        }
    }

    @Test("a response over 6 MB is refused with 413 and the invocation fails with Function.ResponseSizeTooLarge")
    func responseTooLarge() async throws {
        try await Self.withWorker { worker, port in
            let invocation = Task { await worker.invoke(payload: [], requestID: "big") }
            let connection = try await RawConnection.open(port: port)
            #expect(try await connection.exchange(Self.next).status == 200)
            let body = String(repeating: "x", count: RuntimeAPIServer.maximumResponseSize + 1)
            let answer = try await connection.exchange(Self.post("invocation/big/response", body: body))
            #expect(answer.status == 413)
            guard case .functionError(let error) = await invocation.value.outcome else {
                Issue.record("the invocation did not fail")
                return
            }
            #expect(WorkerProcess.errorMessage(error).hasPrefix("Function.ResponseSizeTooLarge: "))
            // The connection stays usable: the invocation is over, so its id is now unknown.
            let next = try await connection.exchange(Self.post("invocation/big/response", body: "{}"))
            #expect(next.status == 400)
        }
    }

    @Test("a /response and the next /next pipelined on one keep-alive connection are answered in order")
    func pipelinedResponseThenNext() async throws {
        try await Self.withWorker { worker, port in
            let first = Task { await worker.invoke(payload: Array("1".utf8), requestID: "r1") }
            let connection = try await RawConnection.open(port: port)
            #expect(try await connection.exchange(Self.next).headers["lambda-runtime-aws-request-id"] == "r1")
            try await connection.write(Self.post("invocation/r1/response", body: "\"one\"") + Self.next)
            #expect(await first.value.outcome == .success(Array("\"one\"".utf8)))
            // r2 reaches the worker through the /next that followed the /response on the same connection.
            let second = Task { await worker.invoke(payload: Array("2".utf8), requestID: "r2") }
            let accepted = try await connection.readResponse()
            #expect(accepted.status == 202)
            let handed = try await connection.readResponse()
            #expect(handed.status == 200)
            #expect(handed.headers["lambda-runtime-aws-request-id"] == "r2")
            #expect(String(decoding: handed.body, as: UTF8.self) == "2")
            #expect(try await connection.exchange(Self.post("invocation/r2/error", body: "{}")).status == 202)
            #expect(await second.value.outcome == .functionError(Array("{}".utf8)))
        }
    }

    @Test("request paths route to the Runtime API calls")
    func routes() {
        typealias Handler = RuntimeAPIHandler<WorkerProcess>
        let base = "/2018-06-01/runtime"
        #expect(Handler.route(method: .GET, uri: "\(base)/invocation/next") == .next)
        #expect(Handler.route(method: .GET, uri: "\(base)/invocation/next?x=1") == .next)
        #expect(Handler.route(method: .POST, uri: "\(base)/invocation/next") == .methodNotAllowed)
        #expect(Handler.route(method: .POST, uri: "\(base)/invocation/a-1/response") == .response("a-1"))
        #expect(Handler.route(method: .POST, uri: "\(base)/invocation/a-1/error") == .error("a-1"))
        #expect(Handler.route(method: .POST, uri: "\(base)/init/error") == .initError)
        #expect(Handler.route(method: .POST, uri: "\(base)/invocation//response") == .notFound)
        #expect(Handler.route(method: .GET, uri: "/2018-06-01/other") == .notFound)
        #expect(Handler.route(method: .POST, uri: "\(base)/invocation/a/response/x") == .notFound)
        #expect(Handler.route(method: .POST, uri: "\(base)/invocation/a/b/response") == .notFound)
        #expect(Handler.route(method: .GET, uri: "\(base)/invocation/a-1/response") == .methodNotAllowed)
        #expect(Handler.route(method: .GET, uri: "\(base)/invocation/nextx") == .notFound)
    }
}
