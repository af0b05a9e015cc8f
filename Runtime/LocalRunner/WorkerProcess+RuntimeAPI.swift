import Foundation

// MARK: RuntimeAPIEndpoint

extension WorkerProcess {
    func nextInvocation() async -> PendingInvocation? {
        if !ready {
            ready = true
            let coldStart = ContinuousClock.now - spawnedAt
            metrics.recordColdStart(function: function.logicalId, duration: coldStart)
            logger.info(
                "cold start \(function.logicalId) worker \(number): \(Self.milliseconds(coldStart)) ms")
        }
        if exited || doomed { return nil }
        if let invocation = queued {
            queued = nil
            pickUp(invocation)
            return invocation
        }
        nextWaiter?.resume(returning: nil)
        return await withCheckedContinuation { nextWaiter = $0 }
    }

    func complete(requestID: String, outcome: InvocationOutcome) async -> Bool {
        guard let c = current, c.requestID == requestID else { return false }
        current = nil
        if case .functionError(let body) = outcome {
            logger.warning(
                "\(function.logicalId) returned an error: \(String(decoding: body, as: UTF8.self))",
                metadata: ["requestID": "\(requestID)"])
        }
        c.continuation.resume(returning: outcome)
        return true
    }

    func reportInitError(_ body: [UInt8]) async {
        let message = Self.errorMessage(body)
        initError = message
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
