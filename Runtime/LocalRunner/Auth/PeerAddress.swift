import Hummingbird
import NIOCore

/// The address of the peer whose request is being served, for the few routes that depend on it (`/dev/token`
/// answers loopback callers only). ``PeerAddressResponder`` sets it around every request; the router's
/// `BasicRequestContext` does not carry it.
enum PeerAddress {
    /// The peer's IP address (`127.0.0.1`, `::1`, …); nil outside a request or for a non-IP socket.
    @TaskLocal static var current: String?

    /// Whether the request being served comes from the loopback interface.
    static var isLoopback: Bool { current.map(AuthSettings.isLoopback) ?? false }
}

/// The request context the HTTP server makes: the router's, plus the connection it came on.
public struct PeerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Serves each request with `inner` (the router), with ``PeerAddress/current`` set to the connection's peer.
public struct PeerAddressResponder<Inner: HTTPResponder>: HTTPResponder
where Inner.Context == BasicRequestContext {
    let inner: Inner

    public init(_ inner: Inner) { self.inner = inner }

    public func respond(to request: Request, context: PeerRequestContext) async throws -> Response {
        let peer = context.channel.remoteAddress?.ipAddress
        let source = ApplicationRequestContextSource(channel: context.channel, logger: context.logger)
        return try await PeerAddress.$current.withValue(peer) {
            try await inner.respond(to: request, context: BasicRequestContext(source: source))
        }
    }
}
