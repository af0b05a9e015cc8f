import Foundation

// MARK: RuntimeAPIEndpoint

extension WorkerProcess {
    /// What a `/next` request gets: an answer now, or a place in ``State/nextWaiter``.
    enum NextAnswer {
        case now(PendingInvocation?)
        /// Parked; the `/next` that was parked before it (if any) is told to stop.
        case parked(replaced: (@Sendable (PendingInvocation?) -> Void)?)
    }

    func nextInvocation(_ deliver: @escaping @Sendable (PendingInvocation?) -> Void) {
        let (coldStart, answer) = state.withLock { s -> (Duration?, NextAnswer) in
            var coldStart: Duration?
            if !s.ready {
                s.ready = true
                coldStart = ContinuousClock.now - s.spawnedAt
            }
            if s.exited || s.doomed { return (coldStart, .now(nil)) }
            if let invocation = s.queued {
                s.queued = nil
                pickUp(invocation, in: &s)
                return (coldStart, .now(invocation))
            }
            let replaced = s.nextWaiter
            s.nextWaiter = deliver
            return (coldStart, .parked(replaced: replaced))
        }
        if let coldStart {
            metrics.recordColdStart(function: function.logicalId, duration: coldStart)
            logger.info("cold start \(function.logicalId) worker \(number): \(Self.milliseconds(coldStart)) ms")
        }
        switch answer {
        case .now(let invocation): deliver(invocation)
        case .parked(let replaced): replaced?(nil)
        }
    }

    func complete(requestID: String, outcome: InvocationOutcome) -> Bool {
        let current = state.withLock { s -> Current? in
            guard let c = s.current, c.requestID == requestID else { return nil }
            s.current = nil
            return c
        }
        guard let current else { return false }
        if case .functionError(let body) = outcome {
            logger.warning(
                "\(function.logicalId) returned an error: \(String(decoding: body, as: UTF8.self))",
                metadata: ["requestID": "\(requestID)"])
        }
        current.continuation.resume(returning: outcome)
        return true
    }

    func reportInitError(_ body: [UInt8]) {
        let message = Self.errorMessage(body)
        state.withLock { $0.initError = message }
        logger.error("\(function.logicalId) init error: \(message)")
    }

    /// The body a function posts to `/error` or `/init/error`.
    struct ErrorBody: Decodable {
        var errorType: String?
        var errorMessage: String?
    }

    static let errorDecoder = JSONDecoder()

    /// `errorType: errorMessage` of a Runtime API error body, or the body itself when it is not one.
    static func errorMessage(_ body: [UInt8]) -> String {
        if let error = try? errorDecoder.decode(ErrorBody.self, from: Data(body)), let message = error.errorMessage {
            return error.errorType.map { "\($0): \(message)" } ?? message
        }
        return String(decoding: body, as: UTF8.self)
    }

    static func milliseconds(_ d: Duration) -> String {
        String(format: "%.1f", d.seconds * 1000)
    }
}
