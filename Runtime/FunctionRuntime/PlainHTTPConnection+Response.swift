// MARK: Reading an HTTP/1.1 answer

extension PlainHTTPConnection {
    /// Reads one answer: skips interim `1xx` heads, then headers and the body (by `Content-Length`, chunked,
    /// or up to the end of the stream). Returns whether the connection can carry the next request.
    func readResponse(
        method: String, deadline: ContinuousClock.Instant?
    ) throws(PlainHTTPFailure) -> (HTTPClientResponse, keepAlive: Bool) {
        let accumulator = ResponseAccumulator()
        var status = 0
        var http10 = false
        var received = 0
        while true {
            let head = try readHead(deadline: deadline, received: &received)
            guard let parsed = Self.statusLine(head.first ?? []) else {
                throw PlainHTTPFailure(message: "Unsupported HTTP answer (no status line)")
            }
            (status, http10) = parsed
            accumulator.headers = [:]
            for line in head.dropFirst() { line.withUnsafeBufferPointer { accumulator.addHeaderLine($0) } }
            if !(100..<200).contains(status) || status == 101 { break }
        }
        let headers = accumulator.headers
        let connection = headers["connection"]?.lowercased() ?? ""
        var keepAlive = http10 ? connection.contains("keep-alive") : !connection.contains("close")
        if method == "HEAD" || status == 204 || status == 304 {
            return (HTTPClientResponse(status: status, headers: headers), keepAlive)
        }
        var body: [UInt8] = []
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try readChunked(deadline: deadline, received: &received)
        } else if let length = headers["content-length"].flatMap({ Int($0) }), length >= 0 {
            body = try readExactly(length, deadline: deadline, received: &received)
        } else {
            while try fill(deadline: deadline, received: received) {}
            body = Array(pending[pendingStart...])
            pendingStart = pending.count
            keepAlive = false
        }
        return (HTTPClientResponse(status: status, headers: headers, body: body), keepAlive)
    }

    /// The lines of one head (status line first), without their CRLFs, consumed from ``pending``.
    private func readHead(
        deadline: ContinuousClock.Instant?, received: inout Int
    ) throws(PlainHTTPFailure) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        while true {
            guard let line = try readLine(deadline: deadline, received: &received) else {
                throw PlainHTTPFailure(
                    message: received == 0 ? "Empty reply from server" : "Connection closed in the answer's head",
                    stale: received == 0)
            }
            if line.isEmpty {
                if lines.isEmpty { continue }  // stray CRLF between answers
                return lines
            }
            lines.append(line)
        }
    }

    /// One line from ``pending`` (LF or CRLF ended), nil at the end of the stream.
    private func readLine(
        deadline: ContinuousClock.Instant?, received: inout Int
    ) throws(PlainHTTPFailure) -> [UInt8]? {
        var scanned = pendingStart
        while true {
            if let newline = pending[scanned...].firstIndex(of: 0x0A) {
                var end = newline
                if end > pendingStart, pending[end - 1] == 0x0D { end -= 1 }
                let line = Array(pending[pendingStart..<end])
                received += newline + 1 - pendingStart
                pendingStart = newline + 1
                return line
            }
            let before = pending.count - pendingStart
            guard try fill(deadline: deadline, received: received + before) else { return nil }
            scanned = pendingStart + before
        }
    }

    private func readExactly(
        _ count: Int, deadline: ContinuousClock.Instant?, received: inout Int
    ) throws(PlainHTTPFailure) -> [UInt8] {
        while pending.count - pendingStart < count {
            guard try fill(deadline: deadline, received: received + pending.count - pendingStart) else {
                throw PlainHTTPFailure(message: "Connection closed with \(count) body bytes expected")
            }
        }
        let bytes = Array(pending[pendingStart..<(pendingStart + count)])
        pendingStart += count
        received += count
        return bytes
    }

    private func readChunked(
        deadline: ContinuousClock.Instant?, received: inout Int
    ) throws(PlainHTTPFailure) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            guard let line = try readLine(deadline: deadline, received: &received) else {
                throw PlainHTTPFailure(message: "Connection closed in a chunked body")
            }
            let digits = line.prefix { $0 != UInt8(ascii: ";") && $0 != 0x20 }
            guard let size = Int(String(decoding: digits, as: UTF8.self), radix: 16), size >= 0 else {
                throw PlainHTTPFailure(message: "Malformed chunk size")
            }
            if size == 0 {
                // Trailers, up to the empty line.
                while let trailer = try readLine(deadline: deadline, received: &received), !trailer.isEmpty {}
                return body
            }
            body += try readExactly(size, deadline: deadline, received: &received)
            _ = try readLine(deadline: deadline, received: &received)
        }
    }

    /// `HTTP/1.x NNN reason` → (status, whether HTTP/1.0).
    static func statusLine(_ line: [UInt8]) -> (Int, Bool)? {
        guard line.count >= 12, line.starts(with: "HTTP/1.".utf8), line[8] == 0x20 else { return nil }
        guard let status = Int(String(decoding: line[9..<12], as: UTF8.self)) else { return nil }
        return (status, line[7] == UInt8(ascii: "0"))
    }
}
