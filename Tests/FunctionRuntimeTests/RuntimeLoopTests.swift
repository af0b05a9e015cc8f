import Foundation
import FunctionRuntime
import Logging
import Synchronization
import TestSupport
import Testing

/// Echoes the event and records the contexts it saw.
struct EchoHandler: FunctionHandler {
    struct Event: Codable, Sendable { var value: String }
    struct Output: Codable, Sendable { var echoed: String; var requestID: String }
    let contexts = ContextLog()

    func handle(_ event: Event, context: FunctionContext) async throws -> Output {
        contexts.append(context)
        if event.value == "fail" { throw SampleFailure(reason: "told to fail") }
        return Output(echoed: event.value, requestID: context.requestID)
    }
}

struct SampleFailure: Error, CustomStringConvertible {
    let reason: String
    var description: String { "SampleFailure: \(reason)" }
}

final class ContextLog: Sendable {
    private let contexts = Mutex<[FunctionContext]>([])
    func append(_ context: FunctionContext) { contexts.withLock { $0.append(context) } }
    var all: [FunctionContext] { contexts.withLock { $0 } }
}

@Suite("Runtime API loop")
struct RuntimeLoopTests {
    @Test func servesSeveralInvocationsOverOneConnection() async throws {
        let api = FakeRuntimeAPI(
            (1...3).map { FakeRuntimeAPI.QueuedInvocation(requestID: "req-\($0)", body: #"{"value":"v\#($0)"}"#) })
        let handler = EchoHandler()
        try await StubHTTPServer.withServer(api.handler) { server in
            let loop = FunctionRuntimeLoop(
                client: RuntimeAPIClient(endpoint: server.hostAndPort), handler: handler, logger: Logger(label: "t"))
            try await loop.run(maxInvocations: 3)

            let requests = server.requests
            #expect(
                requests.map(\.description) == [
                    "GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-1/response",
                    "GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-2/response",
                    "GET /2018-06-01/runtime/invocation/next", "POST /2018-06-01/runtime/invocation/req-3/response",
                ])
            let bodies = requests.filter { $0.method == "POST" }.map(\.bodyText)
            #expect(bodies == (1...3).map { #"{"echoed":"v\#($0)","requestID":"req-\#($0)"}"# })
            #expect(Set(requests.compactMap(\.clientPort)).count == 1)
        }
    }

    @Test func propagatesDeadlineARNAndTraceIntoTheContext() async throws {
        let api = FakeRuntimeAPI([
            .init(
                requestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd", body: #"{"value":"x"}"#,
                deadlineMilliseconds: 1_542_409_706_888,
                arn: "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime",
                traceID: "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1")
        ])
        let handler = EchoHandler()
        try await StubHTTPServer.withServer(api.handler) { server in
            let loop = FunctionRuntimeLoop(
                client: RuntimeAPIClient(endpoint: server.hostAndPort), handler: handler, logger: Logger(label: "t"))
            try await loop.run(maxInvocations: 1)
        }
        let context = try #require(handler.contexts.all.first)
        #expect(context.requestID == "8476a536-e9f4-11e8-9739-2dfe598c3fcd")
        #expect(context.deadlineMilliseconds == 1_542_409_706_888)
        #expect(context.deadline == Date(timeIntervalSince1970: 1_542_409_706.888))
        #expect(context.invokedFunctionARN == "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime")
        #expect(context.traceID == "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1")
        #expect(context.logger[metadataKey: "requestID"] == "8476a536-e9f4-11e8-9739-2dfe598c3fcd")
        #expect(context.remainingTime < .zero)
    }

    @Test func handlerErrorGoesToErrorRouteAndTheLoopContinues() async throws {
        let api = FakeRuntimeAPI([
            .init(requestID: "bad", body: #"{"value":"fail"}"#), .init(requestID: "good", body: #"{"value":"ok"}"#),
        ])
        try await StubHTTPServer.withServer(api.handler) { server in
            let loop = FunctionRuntimeLoop(
                client: RuntimeAPIClient(endpoint: server.hostAndPort), handler: EchoHandler(),
                logger: Logger(label: "t"))
            try await loop.run(maxInvocations: 2)

            let posts = server.requests.filter { $0.method == "POST" }
            #expect(
                posts.map(\.path) == [
                    "/2018-06-01/runtime/invocation/bad/error", "/2018-06-01/runtime/invocation/good/response",
                ])
            let error = posts[0]
            #expect(error.header("Lambda-Runtime-Function-Error-Type") == "Function.SampleFailure")
            #expect(error.header("content-type") == "application/json")
            let body = try #require(error.jsonObject)
            #expect(body["errorType"] as? String == "Function.SampleFailure")
            #expect(body["errorMessage"] as? String == "SampleFailure: told to fail")
        }
    }

    @Test func undecodableEventIsReportedAsInvalidEvent() async throws {
        let api = FakeRuntimeAPI([.init(requestID: "r1", body: #"{"other":1}"#)])
        try await StubHTTPServer.withServer(api.handler) { server in
            let loop = FunctionRuntimeLoop(
                client: RuntimeAPIClient(endpoint: server.hostAndPort), handler: EchoHandler(),
                logger: Logger(label: "t"))
            try await loop.run(maxInvocations: 1)
            let error = try #require(server.requests.last)
            #expect(error.path == "/2018-06-01/runtime/invocation/r1/error")
            #expect(error.header("Lambda-Runtime-Function-Error-Type") == "Runtime.InvalidEvent")
            #expect((error.jsonObject?["errorMessage"] as? String)?.contains("missing key value") == true)
        }
    }

    @Test func topicFunctionErrorsGoToErrorRoute() async throws {
        let event = String(decoding: try fixture("events/iot-rule-meter.json"), as: UTF8.self)
        let api = FakeRuntimeAPI([.init(requestID: "t1", body: event), .init(requestID: "t2", body: event)])
        let seen = Mutex<[String]>([])
        struct Meter: TopicFunction {
            let seen: @Sendable (String) -> Bool
            func handle(_ event: TopicMessage, context: FunctionContext) async throws -> NoOutput {
                guard seen(event.topic) else { throw SampleFailure(reason: "store unavailable") }
                return NoOutput()
            }
        }
        let handler = Meter { topic in
            seen.withLock {
                $0.append(topic)
                return $0.count > 1
            }
        }
        try await StubHTTPServer.withServer(api.handler) { server in
            let loop = FunctionRuntimeLoop(
                client: RuntimeAPIClient(endpoint: server.hostAndPort), handler: handler, logger: Logger(label: "t"))
            try await loop.run(maxInvocations: 2)
            let posts = server.requests.filter { $0.method == "POST" }
            #expect(
                posts.map(\.path) == [
                    "/2018-06-01/runtime/invocation/t1/error", "/2018-06-01/runtime/invocation/t2/response",
                ])
            #expect(posts[1].bodyText == "null")
        }
        #expect(seen.withLock { $0 } == ["chargers/cp-1/meter", "chargers/cp-1/meter"])
    }

    @Test func initErrorNamesTheMissingVariable() async throws {
        let api = FakeRuntimeAPI([])
        try await StubHTTPServer.withServer(api.handler) { server in
            let status = await FunctionMain.runReturningStatus(
                arguments: [], environment: FunctionEnvironment(["AWS_LAMBDA_RUNTIME_API": server.hostAndPort]),
                name: "GetStatus"
            ) { environment, _ in
                _ = try environment.required("DATA_API_URL")
                return EchoHandler()
            }
            #expect(status == 1)
            let requests = server.requests
            #expect(requests.map(\.description) == ["POST /2018-06-01/runtime/init/error"])
            let request = try #require(requests.first)
            #expect(request.header("Lambda-Runtime-Function-Error-Type") == "Runtime.InvalidEnvironment")
            let body = try #require(request.jsonObject)
            #expect(body["errorType"] as? String == "Runtime.InvalidEnvironment")
            #expect((body["errorMessage"] as? String)?.contains("DATA_API_URL") == true)
        }
    }

    @Test func runtimeAPIFailureEndsTheLoop() async throws {
        try await StubHTTPServer.withServer({ _ in .text("boom", status: 500) }) { server in
            let loop = FunctionRuntimeLoop(
                client: RuntimeAPIClient(endpoint: server.hostAndPort), handler: EchoHandler(),
                logger: Logger(label: "t"))
            let error = try await #require(throws: FunctionRuntimeError.self) { try await loop.run(maxInvocations: 1) }
            #expect(error.code == .runtimeAPI)
            #expect(error.message.contains("500"))
        }
        let unreachable = FunctionRuntimeLoop(
            client: RuntimeAPIClient(endpoint: "127.0.0.1:1"), handler: EchoHandler(), logger: Logger(label: "t"))
        let error = try await #require(throws: FunctionRuntimeError.self) {
            try await unreachable.run(maxInvocations: 1)
        }
        #expect(error.code == .transport)
    }

    @Test func nextWithoutRequestIDIsAnError() async throws {
        try await StubHTTPServer.withServer({ _ in .json("{}") }) { server in
            let client = RuntimeAPIClient(endpoint: server.hostAndPort)
            let error = try #require(throws: FunctionRuntimeError.self) { try client.next() }
            #expect(error.code == .runtimeAPI)
        }
    }

    @Test func coldStartIsLoggedOnce() async throws {
        let api = FakeRuntimeAPI([
            .init(requestID: "c1", body: #"{"value":"a"}"#), .init(requestID: "c2", body: #"{"value":"b"}"#),
        ])
        let capture = LogCapture()
        try await StubHTTPServer.withServer(api.handler) { server in
            let loop = FunctionRuntimeLoop(
                client: RuntimeAPIClient(endpoint: server.hostAndPort), handler: EchoHandler(),
                logger: capture.logger(), initDuration: .milliseconds(3))
            try await loop.run(maxInvocations: 2)
        }
        let lines = capture.text.split(separator: "\n").filter { $0.contains("cold start") }
        #expect(lines.count == 1)
        #expect(lines.first?.contains("[c1]") == true)
        #expect(lines.first?.contains("initDurationMs=3.000") == true)
    }
}
