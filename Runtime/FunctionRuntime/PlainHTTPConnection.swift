#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a plain `http://host[:port]/path?query` URL points; nil for anything else (https, user info, IPv6
/// literals, fragments' odd cases, characters a request line cannot carry), which stays with libcurl.
struct PlainHTTPTarget: Equatable {
    var host: String
    var port: UInt16
    /// The `Host` header: the host, and the port when it is not 80 (what curl sends).
    var hostHeader: String
    /// The request target: path and query.
    var target: String

    init?(_ url: String) {
        guard url.hasPrefix("http://") else { return nil }
        // On the UTF-8 bytes: the delimiters are ASCII, and a path with anything else is left to libcurl anyway.
        var rest = url.utf8.dropFirst("http://".utf8.count)
        if let hash = rest.firstIndex(of: UInt8(ascii: "#")) { rest = rest[..<hash] }
        let authorityEnd =
            rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.isEmpty, !authority.contains(where: { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "[") })
        else { return nil }
        let pathBytes = rest[authorityEnd...]
        guard !pathBytes.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) else { return nil }
        var path = String(decoding: pathBytes, as: UTF8.self)
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        var port: UInt16 = 80
        var hostBytes = authority
        if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
            hostBytes = authority[..<colon]
            let portBytes = authority[authority.index(after: colon)...]
            guard !portBytes.contains(UInt8(ascii: ":")),
                let explicit = UInt16(String(decoding: portBytes, as: UTF8.self)), explicit > 0
            else { return nil }
            port = explicit
        }
        guard !hostBytes.isEmpty else { return nil }
        host = String(decoding: hostBytes, as: UTF8.self)
        self.port = port
        hostHeader = port == 80 ? host : "\(host):\(port)"
        target = path
    }
}

/// What went wrong on a plain connection; `stale` means a reused connection was found closed before any byte
/// of the answer arrived (the request is sent again on a new connection, as curl does).
struct PlainHTTPFailure: Error {
    var message: String
    var stale = false
    /// True when it happened on the second request of a pipelined pair.
    var inSecond = false
}

/// One kept-alive HTTP/1.1 connection for plain `http://` requests (the Runtime API, a local Data API): a
/// request written in one `send`, the answer read straight from the socket. It answers like the libcurl path
/// (same headers sent, same ``HTTPClientResponse``), without libcurl's per-transfer machinery and without
/// initialising OpenSSL in a process that never speaks TLS. Not thread-safe: ``CurlHTTPClient`` serializes.
final class PlainHTTPConnection {
    private var descriptor: Int32 = -1
    private var peer: (host: String, port: UInt16)?
    /// Bytes read past the end of the previous answer.
    var pending: [UInt8] = []
    var pendingStart = 0
    /// True right after a request was written: the answer cannot be there yet, so the first read waits first
    /// (one `poll` instead of a `recv` that would only say `EAGAIN`).
    private var answerPending = false

    deinit { close() }

    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
        peer = nil
        pending = []
        pendingStart = 0
        answerPending = false
    }

    /// Whether a connection is open (false after an answer that closed it).
    var isOpen: Bool { descriptor >= 0 }

    /// Sends `request` and reads its answer, reconnecting once when a reused connection turned out closed.
    func send(_ request: HTTPClientRequest, to target: PlainHTTPTarget) throws(PlainHTTPFailure) -> HTTPClientResponse {
        try send(Self.encode(request, target), answering: request, to: target)
    }

    /// Writes `bytes` (`request` encoded, possibly followed by pipelined requests) and reads `request`'s answer,
    /// reconnecting and writing them all again once when a reused connection turned out closed.
    func send(
        _ bytes: [UInt8], answering request: HTTPClientRequest, to target: PlainHTTPTarget
    ) throws(PlainHTTPFailure) -> HTTPClientResponse {
        let deadline = request.timeout == .zero ? nil : ContinuousClock.now + request.timeout
        let reused = descriptor >= 0 && peer?.host == target.host && peer?.port == target.port
        if !reused { try open(target, request: request, deadline: deadline) }
        do {
            return try exchange(bytes, request: request, deadline: deadline)
        } catch  where error.stale && reused {
            close()
            try open(target, request: request, deadline: deadline)
            return try exchange(bytes, request: request, deadline: deadline)
        }
    }

    private func exchange(
        _ bytes: [UInt8], request: HTTPClientRequest, deadline: ContinuousClock.Instant?
    ) throws(PlainHTTPFailure) -> HTTPClientResponse {
        do {
            try write(bytes, deadline: deadline)
            answerPending = true
            let (response, keepAlive) = try readResponse(method: request.method.uppercased(), deadline: deadline)
            if !keepAlive { close() }
            return response
        } catch {
            close()
            throw error
        }
    }

    /// The request as curl writes it for the same ``HTTPClientRequest``: `Host`, `Accept: */*` unless given,
    /// the caller's headers, `Content-Length` when a body is sent (always for POST).
    static func encode(_ request: HTTPClientRequest, _ target: PlainHTTPTarget) -> [UInt8] {
        let method = request.method.uppercased()
        var head = "\(method) \(target.target) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n"
        var hasAccept = false
        for (name, value) in request.headers {
            if name.utf8.count == 6, name.lowercased() == "accept" { hasAccept = true }
            head += "\(name): \(value)\r\n"
        }
        if !hasAccept { head += "Accept: */*\r\n" }
        if method == "POST" || !request.body.isEmpty { head += "Content-Length: \(request.body.count)\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: request.body)
        return bytes
    }

    // MARK: Socket

    private func open(
        _ target: PlainHTTPTarget, request: HTTPClientRequest, deadline: ContinuousClock.Instant?
    ) throws(PlainHTTPFailure) {
        close()
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(target.host, String(target.port), &hints, &found)
        guard status == 0, let first = found else {
            throw PlainHTTPFailure(message: "Could not resolve host: \(target.host)")
        }
        defer { freeaddrinfo(first) }
        var connectDeadline = ContinuousClock.now + request.connectTimeout
        if request.connectTimeout == .zero { connectDeadline = ContinuousClock.now + .seconds(300) }
        if let deadline, deadline < connectDeadline { connectDeadline = deadline }
        var lastError: Int32 = ECONNREFUSED
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            candidate = address.pointee.ai_next
            let fd = Glibc.socket(
                address.pointee.ai_family,
                Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
                    | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else {
                lastError = errno
                continue
            }
            var on: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            _ = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
            var result = Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen)
            if result != 0, errno == EINPROGRESS {
                guard Self.wait(fd, for: Int16(POLLOUT), until: connectDeadline) else {
                    _ = Glibc.close(fd)
                    throw PlainHTTPFailure(message: "Connection timed out connecting to \(target.hostHeader)")
                }
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if error != 0 { errno = error }
                result = error == 0 ? 0 : -1
            }
            if result == 0 {
                descriptor = fd
                peer = (target.host, target.port)
                return
            }
            lastError = errno
            _ = Glibc.close(fd)
        }
        throw PlainHTTPFailure(
            message: "Failed to connect to \(target.host) port \(target.port): \(String(cString: strerror(lastError)))")
    }

    private func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant?) throws(PlainHTTPFailure) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                Glibc.send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
            } else if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                guard Self.wait(descriptor, for: Int16(POLLOUT), until: deadline) else { throw Self.timeout(0) }
            } else {
                throw PlainHTTPFailure(message: "Send failure: \(String(cString: strerror(errno)))", stale: true)
            }
        }
    }

    /// Reads more bytes into ``pending``; false at the end of the stream.
    func fill(deadline: ContinuousClock.Instant?, received: Int) throws(PlainHTTPFailure) -> Bool {
        if pendingStart > 0, pendingStart == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
        }
        if answerPending {
            answerPending = false
            guard Self.wait(descriptor, for: Int16(POLLIN), until: deadline) else { throw Self.timeout(received) }
        }
        while true {
            let count = withUnsafeTemporaryAllocation(byteCount: 16_384, alignment: 1) { chunk in
                let count = Glibc.recv(descriptor, chunk.baseAddress, chunk.count, 0)
                if count > 0 { pending.append(contentsOf: chunk[..<count]) }
                return count
            }
            if count > 0 { return true }
            if count == 0 { return false }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                guard Self.wait(descriptor, for: Int16(POLLIN), until: deadline) else { throw Self.timeout(received) }
                continue
            }
            throw PlainHTTPFailure(
                message: "Recv failure: \(String(cString: strerror(errno)))", stale: received == 0)
        }
    }

    static func timeout(_ received: Int) -> PlainHTTPFailure {
        PlainHTTPFailure(message: "Operation timed out with \(received) bytes received")
    }

    /// Waits until `fd` is ready for `events`; false when `deadline` passed first.
    static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant?) -> Bool {
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let left = deadline - .now
                guard left > .zero else { return false }
                timeout = Int32(clamping: max(1, CurlHTTPClient.milliseconds(left)))
            }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, timeout)
            if ready > 0 { return true }
            if ready < 0, errno == EINTR { continue }
            if ready < 0 { return true }  // the next send/recv reports the error
        }
    }
}
