import Foundation
import Hummingbird
import Logging

/// One invocation handed to a worker through `/runtime/invocation/next`.
struct PendingInvocation: Sendable {
    var requestID: String
    var payload: [UInt8]
    var deadlineMilliseconds: Int64
    var functionARN: String
}

/// What the Runtime API server asks of the worker it serves.
protocol RuntimeAPIEndpoint: Sendable {
    /// Waits for the next invocation; nil when the worker is being stopped.
    func nextInvocation() async -> PendingInvocation?
    /// Records the result of `requestID`; false when the id is not the current invocation.
    func complete(requestID: String, outcome: InvocationOutcome) async -> Bool
    /// Records an initialisation error.
    func reportInitError(_ body: [UInt8]) async
}

/// The Lambda Runtime API (`2018-06-01`) on a loopback port of its own, for one worker process.
struct RuntimeAPIServer: Sendable {
    /// A running server: its port and the task to cancel to stop it.
    struct Running: Sendable {
        let port: Int
        let task: Task<Void, Never>
        func stop() { task.cancel() }
    }

    static let maximumResponseSize = 6 << 20
    static let requestIDHeader = HTTPHeaderField.Name("Lambda-Runtime-Aws-Request-Id")!
    static let deadlineHeader = HTTPHeaderField.Name("Lambda-Runtime-Deadline-Ms")!
    static let functionARNHeader = HTTPHeaderField.Name("Lambda-Runtime-Invoked-Function-Arn")!

    /// Starts the server on `127.0.0.1:0` and returns once it is listening.
    static func start(endpoint: some RuntimeAPIEndpoint, logger: Logger) async throws(LocalRunnerError) -> Running {
        let router = Router()
        let base = "/2018-06-01/runtime"
        router.get("\(base)/invocation/next") { _, _ -> Response in
            guard let invocation = await endpoint.nextInvocation() else {
                return Response(status: .gone)
            }
            var headers = HTTPFields()
            headers.append(HTTPHeaderField(name: Self.requestIDHeader, value: invocation.requestID))
            headers.append(HTTPHeaderField(name: Self.deadlineHeader, value: String(invocation.deadlineMilliseconds)))
            headers.append(HTTPHeaderField(name: Self.functionARNHeader, value: invocation.functionARN))
            headers.append(HTTPHeaderField(name: .contentType, value: "application/json"))
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: invocation.payload)))
        }
        router.post("\(base)/invocation/{id}/response") { request, context -> Response in
            let id = try context.parameters.require("id")
            let body = try await request.body.collect(upTo: maximumResponseSize)
            let known = await endpoint.complete(requestID: id, outcome: .success(Array(buffer: body)))
            return Response(status: known ? .accepted : .badRequest)
        }
        router.post("\(base)/invocation/{id}/error") { request, context -> Response in
            let id = try context.parameters.require("id")
            let body = try await request.body.collect(upTo: maximumResponseSize)
            let known = await endpoint.complete(requestID: id, outcome: .functionError(Array(buffer: body)))
            return Response(status: known ? .accepted : .badRequest)
        }
        router.post("\(base)/init/error") { request, _ -> Response in
            let body = try await request.body.collect(upTo: maximumResponseSize)
            await endpoint.reportInitError(Array(buffer: body))
            return Response(status: .accepted)
        }
        var quiet = logger
        quiet.logLevel = .critical
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            },
            logger: quiet)
        let task = Task {
            do {
                try await app.run()
            } catch {
                logger.error("Runtime API server failed: \(error)")
            }
            portSink.finish()
        }
        for await port in ports where port > 0 {
            return Running(port: port, task: task)
        }
        task.cancel()
        throw LocalRunnerError(.process, "could not start a Runtime API server on 127.0.0.1")
    }
}
