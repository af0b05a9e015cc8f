import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// One invocation handed to a worker through `/runtime/invocation/next`.
struct PendingInvocation: Sendable {
    var requestID: String
    var payload: [UInt8]
    var deadlineMilliseconds: Int64
    var functionARN: String
}

/// What the Runtime API server asks of the worker it serves. Every call is synchronous and may come from an event
/// loop thread: the worker answers from its own lock-protected state, never by suspending.
protocol RuntimeAPIEndpoint: Sendable {
    /// Hands the next invocation to `deliver`, now or once one arrives (from any thread); nil when the worker is
    /// being stopped.
    func nextInvocation(_ deliver: @escaping @Sendable (PendingInvocation?) -> Void)
    /// Records the result of `requestID`; false when the id is not the current invocation.
    func complete(requestID: String, outcome: InvocationOutcome) -> Bool
    /// Records an initialisation error.
    func reportInitError(_ body: [UInt8])
}

/// The Lambda Runtime API (`2018-06-01`) on a loopback port of its own, for one worker process: a plain
/// SwiftNIO HTTP/1.1 server (keep-alive, pipelining) on the shared event loop group, one ``RuntimeAPIHandler``
/// per connection.
struct RuntimeAPIServer: Sendable {
    /// A running server: its port and the listening channel to close to stop it.
    struct Running: Sendable {
        let port: Int
        let channel: any Channel
        func stop() { channel.close(promise: nil) }
    }

    /// The largest `/response`, `/error` or `/init/error` body accepted (Lambda's synchronous payload limit).
    static let maximumResponseSize = 6 << 20

    /// Starts the server on `127.0.0.1:0` and returns once it is listening.
    static func start(endpoint: some RuntimeAPIEndpoint, logger: Logger) async throws(LocalRunnerError) -> Running {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RuntimeAPIHandler(endpoint: endpoint))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
            guard let port = channel.localAddress?.port else {
                channel.close(promise: nil)
                throw LocalRunnerError(.process, "could not start a Runtime API server on 127.0.0.1")
            }
            return Running(port: port, channel: channel)
        } catch let error as LocalRunnerError {
            throw error
        } catch {
            logger.error("Runtime API server failed: \(error)")
            throw LocalRunnerError(.process, "could not start a Runtime API server on 127.0.0.1: \(error)")
        }
    }
}
