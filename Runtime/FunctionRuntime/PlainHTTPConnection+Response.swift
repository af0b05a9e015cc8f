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
            var statusLine: (Int, Bool)?
            var first = true
            accumulator.headers = [:]
            try readHead(deadline: deadline, received: &received) { line in
                if first {
                    first = false
                    statusLine = Self.statusLine(line)
                } else if statusLine != nil {
                    accumulator.addHeaderLine(line)
                }
            }
            guard let parsed = statusLine else {
                throw PlainHTTPFailure(message: "Unsupported HTTP answer (no status line)")
            }
            (status, http10) = parsed
            if !(100..<200).contains(status) || status == 101 { break }
        }
        let headers = accumulator.headers
        let connection = headers["connection"].map { Self.contains($0, "keep-alive") } ?? false
        let closes = headers["connection"].map { Self.contains($0, "close") } ?? false
        var keepAlive = http10 ? connection : !closes
        if method == "HEAD" || status == 204 || status == 304 {
            return (HTTPClientResponse(status: status, headers: headers), keepAlive)
        }
        var body: [UInt8] = []
        if let coding = headers["transfer-encoding"], Self.contains(coding, "chunked") {
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

    /// Reads one head (status line first) from ``pending`` and hands each line, without its CRLF, to `line` as it
    /// lies in the buffer (valid only during the call).
    private func readHead(
        deadline: ContinuousClock.Instant?, received: inout Int, _ line: (UnsafeBufferPointer<UInt8>) -> Void
    ) throws(PlainHTTPFailure) {
        var lines = 0
        while true {
            guard let range = try readLine(deadline: deadline, received: &received) else {
                throw PlainHTTPFailure(
                    message: received == 0 ? "Empty reply from server" : "Connection closed in the answer's head",
                    stale: received == 0)
            }
            if range.isEmpty {
                if lines == 0 { continue }  // stray CRLF between answers
                return
            }
            lines += 1
            pending.withUnsafeBufferPointer { line(UnsafeBufferPointer(rebasing: $0[range])) }
        }
    }

    /// Whether `text`, lower-cased, contains `word` (an ASCII lower-case token such as `close`).
    static func contains(_ text: String, _ word: StaticString) -> Bool {
        let lowered = text.utf8.map { $0 &- UInt8(ascii: "A") < 26 ? $0 | 0x20 : $0 }
        return word.withUTF8Buffer { needle in
            guard needle.count <= lowered.count else { return false }
            for start in 0...(lowered.count - needle.count)
            where lowered[start..<(start + needle.count)].elementsEqual(needle) {
                return true
            }
            return false
        }
    }

    /// The range in ``pending`` of one line (LF or CRLF ended, without them), consumed; nil at the end of the
    /// stream. The range is valid until the next ``fill(deadline:received:)``.
    private func readLine(
        deadline: ContinuousClock.Instant?, received: inout Int
    ) throws(PlainHTTPFailure) -> Range<Int>? {
        var scanned = pendingStart
        while true {
            if let newline = pending[scanned...].firstIndex(of: 0x0A) {
                var end = newline
                if end > pendingStart, pending[end - 1] == 0x0D { end -= 1 }
                let line = pendingStart..<end
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
        // Room for the whole body at once (up to 8 MiB, whatever the header claims): the buffer grows once
        // rather than once per read.
        pending.reserveCapacity(pendingStart + min(count, 8 << 20))
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
            let digits = pending[line].prefix { $0 != UInt8(ascii: ";") && $0 != 0x20 }
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
    static func statusLine(_ line: UnsafeBufferPointer<UInt8>) -> (Int, Bool)? {
        guard line.count >= 12, line.starts(with: "HTTP/1.".utf8), line[8] == 0x20 else { return nil }
        var status = 0
        for digit in line[9..<12] {
            guard digit &- UInt8(ascii: "0") < 10 else { return nil }
            status = status * 10 + Int(digit &- UInt8(ascii: "0"))
        }
        return (status, line[7] == UInt8(ascii: "0"))
    }
}
