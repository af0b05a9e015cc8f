#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One invocation as delivered by the Runtime API's `/next`.
public struct Invocation: Sendable, Equatable {
    /// `Lambda-Runtime-Aws-Request-Id`.
    public var requestID: String
    /// `Lambda-Runtime-Deadline-Ms`: the deadline in milliseconds since the epoch.
    public var deadlineMilliseconds: Int64
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    public var invokedFunctionARN: String
    /// `Lambda-Runtime-Trace-Id`, when present.
    public var traceID: String?
    /// The event JSON.
    public var body: [UInt8]

    public init(
        requestID: String, deadlineMilliseconds: Int64, invokedFunctionARN: String, traceID: String?, body: [UInt8]
    ) {
        self.requestID = requestID
        self.deadlineMilliseconds = deadlineMilliseconds
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        self.body = body
    }
}

/// The Lambda Runtime API (`2018-06-01`) wire protocol, and nothing of any handler's domain.
///
/// Like swift-aws-lambda-runtime's `LambdaRuntimeClient`, over one reused ``HTTPTransport``
/// (a ``CurlHTTPClient`` by default, so the connection to the Runtime API stays open between invocations).
public struct RuntimeAPIClient: Sendable {
    /// `host:port` as given in `AWS_LAMBDA_RUNTIME_API`.
    public let endpoint: String
    /// Whether a report and the next `/next` go out in one write (HTTP/1.1 pipelining).
    public let pipelines: Bool
    private let transport: any HTTPTransport
    private let requestTimeout: Duration
    /// `http://host:port/2018-06-01/runtime`, and the `/next` URL, built once.
    private let base: String
    private let nextURL: String

    /// - Parameters:
    ///   - endpoint: `host:port` of the Runtime API (`AWS_LAMBDA_RUNTIME_API`).
    ///   - transport: the HTTP client; one is created when omitted.
    ///   - requestTimeout: total time allowed for the POSTs (`/next` has no total timeout: it long-polls).
    ///   - pipelines: whether ``FunctionRuntimeLoop`` sends each report together with the next `/next`
    ///     (``respondThenNext(requestID:body:)``); see ``pipelining(_:)``.
    public init(
        endpoint: String, transport: any HTTPTransport = CurlHTTPClient(), requestTimeout: Duration = .seconds(10),
        pipelines: Bool = true
    ) {
        self.pipelines = pipelines
        self.endpoint = endpoint
        self.transport = transport
        self.requestTimeout = requestTimeout
        base = "http://\(endpoint)/2018-06-01/runtime"
        nextURL = base + "/invocation/next"
    }

    /// Whether `EVCSM_RUNTIME_PIPELINING` leaves pipelining on: anything but `0`, `off`, `false` or `no`
    /// (unset: on). An escape hatch for a Runtime API that does not serve pipelined requests.
    public static func pipelining(_ environment: FunctionEnvironment) -> Bool {
        guard let value = environment["EVCSM_RUNTIME_PIPELINING"]?.lowercased() else { return true }
        return !["0", "off", "false", "no"].contains(value)
    }

    /// Waits for the next invocation (`GET /runtime/invocation/next`, no total timeout).
    public func next() throws(FunctionRuntimeError) -> Invocation {
        try invocation(try transport.send(nextRequest))
    }

    /// Sends the result of an invocation (`POST /runtime/invocation/{id}/response`).
    public func respond(requestID: String, body: [UInt8]) throws(FunctionRuntimeError) {
        try check(try transport.send(responseRequest(requestID, body)), responsePath(requestID))
    }

    /// ``respond(requestID:body:)`` and ``next()`` pipelined: both requests written at once, so the runtime reads
    /// them together and may answer the next invocation with the acknowledgement.
    public func respondThenNext(requestID: String, body: [UInt8]) throws(FunctionRuntimeError) -> Invocation {
        let (answer, next) = try transport.send(responseRequest(requestID, body), then: nextRequest)
        try check(answer, responsePath(requestID))
        return try invocation(next)
    }

    /// Reports a failed invocation (`POST /runtime/invocation/{id}/error`) so the platform's retry applies.
    public func reportError(requestID: String, errorType: String, errorMessage: String) throws(FunctionRuntimeError) {
        let path = errorPath(requestID)
        try check(try transport.send(errorRequest(path, errorType: errorType, errorMessage: errorMessage)), path)
    }

    /// ``reportError(requestID:errorType:errorMessage:)`` and ``next()`` pipelined.
    public func reportErrorThenNext(
        requestID: String, errorType: String, errorMessage: String
    ) throws(FunctionRuntimeError) -> Invocation {
        let path = errorPath(requestID)
        let (answer, next) = try transport.send(
            errorRequest(path, errorType: errorType, errorMessage: errorMessage), then: nextRequest)
        try check(answer, path)
        return try invocation(next)
    }

    private var nextRequest: HTTPClientRequest { HTTPClientRequest(method: "GET", url: nextURL, timeout: .zero) }

    private func responsePath(_ requestID: String) -> String { "/invocation/\(requestID)/response" }

    private func errorPath(_ requestID: String) -> String { "/invocation/\(requestID)/error" }

    private func responseRequest(_ requestID: String, _ body: [UInt8]) -> HTTPClientRequest {
        HTTPClientRequest(
            method: "POST", url: base + responsePath(requestID), headers: Self.jsonContent, body: body,
            timeout: requestTimeout)
    }

    private func errorRequest(_ path: String, errorType: String, errorMessage: String) -> HTTPClientRequest {
        HTTPClientRequest(
            method: "POST", url: base + path,
            headers: [("Content-Type", "application/json"), ("Lambda-Runtime-Function-Error-Type", errorType)],
            body: Self.errorBody(errorType: errorType, errorMessage: errorMessage), timeout: requestTimeout)
    }

    /// The invocation an answer to `/next` delivers.
    private func invocation(_ response: HTTPClientResponse) throws(FunctionRuntimeError) -> Invocation {
        guard response.status == 200 else {
            throw unexpected(response, "GET /invocation/next")
        }
        guard let requestID = response.header("lambda-runtime-aws-request-id"), !requestID.isEmpty else {
            throw FunctionRuntimeError(.runtimeAPI, "/invocation/next answered without Lambda-Runtime-Aws-Request-Id")
        }
        let deadline = response.header("lambda-runtime-deadline-ms").flatMap { Int64($0) } ?? 0
        return Invocation(
            requestID: requestID, deadlineMilliseconds: deadline,
            invokedFunctionARN: response.header("lambda-runtime-invoked-function-arn") ?? "",
            traceID: response.header("lambda-runtime-trace-id"), body: response.body)
    }

    /// Reports that the function could not initialize (`POST /runtime/init/error`).
    public func reportInitError(errorType: String, errorMessage: String) throws(FunctionRuntimeError) {
        let request = errorRequest("/init/error", errorType: errorType, errorMessage: errorMessage)
        try check(try transport.send(request), "/init/error")
    }

    static let jsonContent = [("Content-Type", "application/json")]

    /// `{"errorMessage": …, "errorType": …}` as the Runtime API expects it.
    static func errorBody(errorType: String, errorMessage: String) -> [UInt8] {
        struct ErrorRequest: Encodable {
            let errorMessage: String
            let errorType: String
        }
        return (try? Array(JSONCoding.encoder.encode(ErrorRequest(errorMessage: errorMessage, errorType: errorType))))
            ?? Array(#"{"errorMessage":"unencodable error","errorType":"Runtime.Unknown"}"#.utf8)
    }

    private func check(_ response: HTTPClientResponse, _ path: String) throws(FunctionRuntimeError) {
        guard (200..<300).contains(response.status) else {
            throw unexpected(response, "POST \(path)")
        }
    }

    private func unexpected(_ response: HTTPClientResponse, _ what: String) -> FunctionRuntimeError {
        let detail = String(decoding: response.body.prefix(512), as: UTF8.self)
        return FunctionRuntimeError(.runtimeAPI, "\(what) answered \(response.status): \(detail)")
    }
}
