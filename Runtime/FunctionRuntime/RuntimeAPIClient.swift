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
    private let transport: any HTTPTransport
    private let requestTimeout: Duration
    /// `http://host:port/2018-06-01/runtime`, and the `/next` URL, built once.
    private let base: String
    private let nextURL: String

    /// - Parameters:
    ///   - endpoint: `host:port` of the Runtime API (`AWS_LAMBDA_RUNTIME_API`).
    ///   - transport: the HTTP client; one is created when omitted.
    ///   - requestTimeout: total time allowed for the POSTs (`/next` has no total timeout: it long-polls).
    public init(
        endpoint: String, transport: any HTTPTransport = CurlHTTPClient(), requestTimeout: Duration = .seconds(10)
    ) {
        self.endpoint = endpoint
        self.transport = transport
        self.requestTimeout = requestTimeout
        base = "http://\(endpoint)/2018-06-01/runtime"
        nextURL = base + "/invocation/next"
    }

    /// Waits for the next invocation (`GET /runtime/invocation/next`, no total timeout).
    public func next() throws(FunctionRuntimeError) -> Invocation {
        let response = try transport.send(
            HTTPClientRequest(method: "GET", url: nextURL, timeout: .zero))
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

    /// Sends the result of an invocation (`POST /runtime/invocation/{id}/response`).
    public func respond(requestID: String, body: [UInt8]) throws(FunctionRuntimeError) {
        try post("/invocation/\(requestID)/response", body: body, headers: Self.jsonContent)
    }

    /// Reports a failed invocation (`POST /runtime/invocation/{id}/error`) so the platform's retry applies.
    public func reportError(requestID: String, errorType: String, errorMessage: String) throws(FunctionRuntimeError) {
        try post(
            "/invocation/\(requestID)/error", body: Self.errorBody(errorType: errorType, errorMessage: errorMessage),
            headers: [("Content-Type", "application/json"), ("Lambda-Runtime-Function-Error-Type", errorType)])
    }

    /// Reports that the function could not initialize (`POST /runtime/init/error`).
    public func reportInitError(errorType: String, errorMessage: String) throws(FunctionRuntimeError) {
        try post(
            "/init/error", body: Self.errorBody(errorType: errorType, errorMessage: errorMessage),
            headers: [("Content-Type", "application/json"), ("Lambda-Runtime-Function-Error-Type", errorType)])
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

    private func post(_ path: String, body: [UInt8], headers: [(String, String)]) throws(FunctionRuntimeError) {
        let response = try transport.send(
            HTTPClientRequest(
                method: "POST", url: base + path, headers: headers, body: body, timeout: requestTimeout))
        guard (200..<300).contains(response.status) else {
            throw unexpected(response, "POST \(path)")
        }
    }

    private func unexpected(_ response: HTTPClientResponse, _ what: String) -> FunctionRuntimeError {
        let detail = String(decoding: response.body.prefix(512), as: UTF8.self)
        return FunctionRuntimeError(.runtimeAPI, "\(what) answered \(response.status): \(detail)")
    }
}
