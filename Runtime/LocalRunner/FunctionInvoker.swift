/// What a caller gets back from invoking a function once.
public enum InvocationOutcome: Sendable, Equatable {
    /// The function answered through `/response`.
    case success([UInt8])
    /// The function reported an error through `/error` (its JSON body).
    case functionError([UInt8])
    /// The function ran past its Timeout and its worker was killed.
    case timeout(seconds: Int)
    /// The worker process exited during the invocation.
    case crashed(String)
    /// The function failed to initialise (reported `/init/error` or exited before asking for work).
    case initFailed(String)
    /// The function cannot run at all (binary missing, runner shutting down).
    case unavailable(String)

    /// A short label for logs and metrics.
    public var label: String {
        switch self {
        case .success: return "success"
        case .functionError: return "error"
        case .timeout: return "timeout"
        case .crashed: return "crash"
        case .initFailed: return "init_error"
        case .unavailable: return "unavailable"
        }
    }
}

/// Invokes functions by logical id: the Lambda service as API Gateway and IoT rules see it.
public protocol FunctionInvoker: Sendable {
    /// Runs one invocation of `function` with the JSON `payload`.
    func invoke(function: String, payload: [UInt8], requestID: String) async -> InvocationOutcome
}
