import FunctionRuntime

/// The API Gateway management API over libcurl: `POST {OCPP_CONNECTIONS_ENDPOINT}/@connections/{id}` (the body is
/// the message) and `DELETE …/@connections/{id}`, signed with SigV4 (`aws:amz:{region}:execute-api`) when AWS
/// credentials are configured (``AWSEndpointConfiguration``), plain otherwise (evcsm-local serves the same routes).
/// A gone connection (410) is `false` from ``post(connectionId:data:)``; any other non-2xx answer is an error.
public struct APIGatewayConnections: ConnectionManagement {
    /// The environment variable with the management API's base URL.
    public static let endpointVariable = "OCPP_CONNECTIONS_ENDPOINT"

    public let configuration: AWSEndpointConfiguration
    private let transport: any HTTPTransport

    public init(configuration: AWSEndpointConfiguration, transport: any HTTPTransport) {
        self.configuration = configuration
        self.transport = transport
    }

    /// Reads `OCPP_CONNECTIONS_ENDPOINT` (required), `AWS_REGION` and the AWS credential variables.
    public static func fromEnvironment(
        _ env: FunctionEnvironment, transport: any HTTPTransport = CurlHTTPClient()
    ) throws(FunctionRuntimeError) -> APIGatewayConnections {
        APIGatewayConnections(
            configuration: try .fromEnvironment(env, endpointVariable: endpointVariable, service: "execute-api"),
            transport: transport)
    }

    public func post(connectionId: String, data: [UInt8]) async throws -> Bool {
        let response = try transport.send(request(method: "POST", connectionId: connectionId, body: data))
        if response.status == 410 { return false }
        guard (200..<300).contains(response.status) else {
            throw FunctionRuntimeError(
                .transport, "@connections POST to \(connectionId) answered HTTP \(response.status)")
        }
        return true
    }

    public func delete(connectionId: String) async throws {
        let response = try transport.send(request(method: "DELETE", connectionId: connectionId, body: []))
        guard (200..<300).contains(response.status) || response.status == 410 else {
            throw FunctionRuntimeError(
                .transport, "@connections DELETE of \(connectionId) answered HTTP \(response.status)")
        }
    }

    /// The signed (or plain) request for `method` on the connection. Connection ids are unreserved characters only
    /// (API Gateway's and evcsm-local's), so they go into the path as they are.
    public func request(method: String, connectionId: String, body: [UInt8]) -> HTTPClientRequest {
        var request = HTTPClientRequest(
            method: method,
            url: "\(configuration.endpoint)/@connections/\(IoTDataPublisher.percentEncode(connectionId))",
            headers: body.isEmpty ? [] : [("Content-Type", "application/json")], body: body,
            timeout: configuration.timeout)
        configuration.sign(&request)
        return request
    }
}
