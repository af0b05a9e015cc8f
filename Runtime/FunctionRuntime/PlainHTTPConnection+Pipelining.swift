extension PlainHTTPConnection {
    /// Writes `first` and `second` in one `send` (HTTP/1.1 pipelining, RFC 9112 §9.3) and reads their answers in
    /// order: for the Runtime API, a `/response` and the next `/next` cost the runtime one read instead of two,
    /// and the function one write.
    ///
    /// `second` must be safe to send again (a `GET`): when the answer to `first` closed the connection, or the
    /// connection was found closed before any byte of the second answer, it goes again on a new connection,
    /// since a server that closes answers no request after that answer. `first`'s timeout covers its answer,
    /// `second`'s (`.zero`: none, for a long poll) the second answer.
    func send(
        _ first: HTTPClientRequest, then second: HTTPClientRequest, to target: PlainHTTPTarget,
        secondTarget: PlainHTTPTarget
    ) throws(PlainHTTPFailure) -> (HTTPClientResponse, HTTPClientResponse) {
        let answer = try send(
            Self.encode(first, target) + Self.encode(second, secondTarget), answering: first, to: target)
        if isOpen {
            let deadline = second.timeout == .zero ? nil : ContinuousClock.now + second.timeout
            do {
                let (response, keepAlive) = try readResponse(method: second.method.uppercased(), deadline: deadline)
                if !keepAlive { close() }
                return (answer, response)
            } catch  where error.stale {
                close()
            } catch {
                close()
                throw Self.marked(error)
            }
        }
        // Closed after the first answer, or before any byte of the second: the second was not answered.
        return (answer, try Self.asSecond { () throws(PlainHTTPFailure) in try send(second, to: secondTarget) })
    }

    private static func asSecond<T>(
        _ body: () throws(PlainHTTPFailure) -> T
    ) throws(PlainHTTPFailure) -> T {
        do {
            return try body()
        } catch {
            throw marked(error)
        }
    }

    private static func marked(_ error: PlainHTTPFailure) -> PlainHTTPFailure {
        var error = error
        error.inSecond = true
        return error
    }
}
