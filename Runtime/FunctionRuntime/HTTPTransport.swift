/// One outgoing HTTP request made by a function (Runtime API, Data API, IoT Data Plane).
public struct HTTPClientRequest: Sendable {
    /// The HTTP method, e.g. `GET` or `POST`.
    public var method: String
    /// The absolute URL, e.g. `http://127.0.0.1:9001/2018-06-01/runtime/invocation/next`.
    public var url: String
    /// Header fields in order; repeated names are sent repeatedly.
    public var headers: [(String, String)]
    /// The request body (sent for every method when non-empty; POST sends an empty body when empty).
    public var body: [UInt8]
    /// The total time allowed for the request. `.zero` means no limit (the Runtime API's long-polling
    /// `/next` needs that).
    public var timeout: Duration
    /// The time allowed to establish the connection.
    public var connectTimeout: Duration
    /// A `CURLOPT_AWS_SIGV4` provider string such as `aws:amz:eu-west-1:iotdata`; nil sends the request unsigned.
    public var awsSigV4: String?
    /// The credentials used with ``awsSigV4``; the session token goes into `x-amz-security-token`.
    public var awsCredentials: (accessKeyID: String, secretAccessKey: String, sessionToken: String?)?

    public init(
        method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = [],
        timeout: Duration = .seconds(5), connectTimeout: Duration = .seconds(2), awsSigV4: String? = nil,
        awsCredentials: (accessKeyID: String, secretAccessKey: String, sessionToken: String?)? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.awsSigV4 = awsSigV4
        self.awsCredentials = awsCredentials
    }
}

/// The answer to an ``HTTPClientRequest``.
public struct HTTPClientResponse: Sendable, Equatable {
    /// The HTTP status code.
    public let status: Int
    /// Header fields with lower-cased names; repeated fields are joined with `, `.
    public let headers: [String: String]
    /// The response body.
    public let body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A header value by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name] ?? headers[name.lowercased()] }
}

/// Sends HTTP requests, synchronously.
///
/// Synchronous on purpose: a function serves one invocation at a time, so blocking the calling
/// thread costs nothing and keeps the client free of an event loop (no SwiftNIO in a function binary).
/// Implementations throw ``FunctionRuntimeError`` with code ``FunctionRuntimeErrorCode/transport``
/// when no HTTP answer arrived (connection refused, timeout, DNS); any HTTP status is a response.
public protocol HTTPTransport: Sendable {
    /// Sends one request and returns the complete response.
    func send(_ request: HTTPClientRequest) throws(FunctionRuntimeError) -> HTTPClientResponse

    /// Sends `first` and then `second` (HTTP/1.1 pipelining where the transport can: both written at once, the
    /// answers read in order) and returns both responses. `second` must be safe to send again (a `GET`): a
    /// transport may send it on a new connection when the answer to `first` closed the old one. The default
    /// sends them one after the other.
    func send(
        _ first: HTTPClientRequest, then second: HTTPClientRequest
    ) throws(FunctionRuntimeError) -> (HTTPClientResponse, HTTPClientResponse)
}

extension HTTPTransport {
    /// One request after the other.
    public func send(
        _ first: HTTPClientRequest, then second: HTTPClientRequest
    ) throws(FunctionRuntimeError) -> (HTTPClientResponse, HTTPClientResponse) {
        let answer = try send(first)
        return (answer, try send(second))
    }
}
