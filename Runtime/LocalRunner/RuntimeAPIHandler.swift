import NIOCore
import NIOHTTP1

/// One Runtime API connection of a worker: routes each request (`/invocation/next`, `/invocation/{id}/response`,
/// `/invocation/{id}/error`, `/init/error`) to its ``RuntimeAPIEndpoint`` once the whole body has arrived.
///
/// A parked `/next` is answered later, from whichever thread hands the worker its invocation, through a
/// ``RuntimeAPIResponder``; NIO's pipelining handler holds any request the worker sends meanwhile.
final class RuntimeAPIHandler<Endpoint: RuntimeAPIEndpoint>: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What a request asks for.
    enum Route: Equatable {
        case next
        case response(String)
        case error(String)
        case initError
        case notFound
        case methodNotAllowed
    }

    /// What a caller gets for a `/response` over ``RuntimeAPIServer/maximumResponseSize`` (Lambda's error type).
    static var responseTooLarge: [UInt8] {
        Array(
            #"{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded maximum allowed payload size (\#(RuntimeAPIServer.maximumResponseSize) bytes)."}"#
                .utf8)
    }

    static var base: String { "/2018-06-01/runtime/" }

    let endpoint: Endpoint
    var route = Route.notFound
    var keepAlive = true
    var body: ByteBuffer?
    var tooLarge = false

    init(endpoint: Endpoint) { self.endpoint = endpoint }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            route = Self.route(method: head.method, uri: head.uri)
            keepAlive = head.isKeepAlive
            body = nil
            tooLarge = false
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > RuntimeAPIServer.maximumResponseSize {
                tooLarge = true
                body = nil
            } else if body == nil {
                body = chunk
            } else {
                body?.writeBuffer(&chunk)
            }
        case .end:
            let bytes = body.map { Array(buffer: $0) } ?? []
            body = nil
            dispatch(RuntimeAPIResponder(channel: context.channel, keepAlive: keepAlive), bytes: bytes)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func dispatch(_ responder: RuntimeAPIResponder, bytes: [UInt8]) {
        switch route {
        case .next:
            endpoint.nextInvocation { responder.deliver($0) }
        case .response(let id):
            if tooLarge {
                _ = endpoint.complete(requestID: id, outcome: .functionError(Self.responseTooLarge))
                return responder.send(.payloadTooLarge)
            }
            responder.send(endpoint.complete(requestID: id, outcome: .success(bytes)) ? .accepted : .badRequest)
        case .error(let id):
            if tooLarge { return responder.send(.payloadTooLarge) }
            responder.send(endpoint.complete(requestID: id, outcome: .functionError(bytes)) ? .accepted : .badRequest)
        case .initError:
            if tooLarge { return responder.send(.payloadTooLarge) }
            endpoint.reportInitError(bytes)
            responder.send(.accepted)
        case .notFound:
            responder.send(.notFound)
        case .methodNotAllowed:
            responder.send(.methodNotAllowed)
        }
    }

    /// The route of `method` and `uri` (the query, if any, is ignored), read from its UTF-8 bytes.
    static func route(method: HTTPMethod, uri: String) -> Route {
        var path = uri.utf8[...]
        if let query = path.firstIndex(of: UInt8(ascii: "?")) { path = path[..<query] }
        guard path.starts(with: base.utf8) else { return .notFound }
        let rest = path.dropFirst(base.utf8.count)
        if rest.elementsEqual("invocation/next".utf8) { return method == .GET ? .next : .methodNotAllowed }
        if rest.elementsEqual("init/error".utf8) { return method == .POST ? .initError : .methodNotAllowed }
        let invocation = "invocation/".utf8
        guard rest.starts(with: invocation) else { return .notFound }
        let tail = rest.dropFirst(invocation.count)
        guard let slash = tail.firstIndex(of: UInt8(ascii: "/")), slash != tail.startIndex else { return .notFound }
        let id = String(decoding: tail[..<slash], as: UTF8.self)
        let action = tail[tail.index(after: slash)...]
        if action.elementsEqual("response".utf8) { return method == .POST ? .response(id) : .methodNotAllowed }
        if action.elementsEqual("error".utf8) { return method == .POST ? .error(id) : .methodNotAllowed }
        return .notFound
    }
}

/// Answers one Runtime API request on its connection, from any thread (the write hops to the channel's loop).
struct RuntimeAPIResponder: Sendable {
    let channel: any Channel
    let keepAlive: Bool

    /// Answers `/next`: the invocation with its `Lambda-Runtime-*` headers, or 410 Gone when the worker stops.
    func deliver(_ invocation: PendingInvocation?) {
        guard let invocation else { return send(.gone) }
        var headers = HTTPHeaders()
        headers.reserveCapacity(6)
        headers.add(name: "Lambda-Runtime-Aws-Request-Id", value: invocation.requestID)
        headers.add(name: "Lambda-Runtime-Deadline-Ms", value: String(invocation.deadlineMilliseconds))
        headers.add(name: "Lambda-Runtime-Invoked-Function-Arn", value: invocation.functionARN)
        headers.add(name: "Content-Type", value: "application/json")
        send(.ok, headers: headers, body: invocation.payload)
    }

    /// Writes the whole response; closes the connection after it when the request did not keep it alive.
    func send(_ status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        var headers = headers
        headers.add(name: "Content-Length", value: String(body.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
        let channel = channel
        let keepAlive = keepAlive
        let write: @Sendable () -> Void = {
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            if !body.isEmpty {
                channel.write(
                    HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
            }
            let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
        }
        if channel.eventLoop.inEventLoop {
            write()
        } else {
            channel.eventLoop.execute(write)
        }
    }
}
