import FunctionRuntime
import SigV4

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where an AWS HTTP API lives and how to sign its requests: SigV4 (``SigV4Signer``, headers computed here, so
/// the request goes over plain HTTP to evcsm-local and over libcurl to AWS alike) when AWS credentials are
/// configured, plain otherwise (the local runner serves the same routes unsigned). Shared by the IoT Data Plane publisher, the MQTT client provisioner and the API Gateway
/// management API. Read once from the environment.
public struct AWSEndpointConfiguration: Sendable {
    /// The endpoint without a trailing `/`, e.g. `http://127.0.0.1:5274` or
    /// `https://xxxx-ats.iot.eu-west-1.amazonaws.com`.
    public var endpoint: String
    /// `AWS_REGION`; signing needs it.
    public var region: String?
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`; nil posts unsigned.
    public var credentials: (accessKeyID: String, secretAccessKey: String, sessionToken: String?)?
    public var timeout: Duration
    /// The SigV4 service name: `iotdata`, `execute-api`.
    public var service: String

    public init(
        endpoint: String, region: String? = nil,
        credentials: (accessKeyID: String, secretAccessKey: String, sessionToken: String?)? = nil,
        timeout: Duration = .seconds(5), service: String = "iotdata"
    ) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.region = region
        self.credentials = credentials
        self.timeout = timeout
        self.service = service
    }

    /// Reads `endpointVariable` (`IOT_DATA_ENDPOINT` unless told; required, an http(s) URL), `AWS_REGION` (or
    /// `AWS_DEFAULT_REGION`; required with credentials) and the AWS credential variables.
    public static func fromEnvironment(
        _ env: FunctionEnvironment, endpointVariable: String = "IOT_DATA_ENDPOINT", service: String = "iotdata"
    ) throws(FunctionRuntimeError) -> AWSEndpointConfiguration {
        let endpoint = try env.required(endpointVariable)
        guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            throw FunctionRuntimeError(
                .invalidEnvironment, "\(endpointVariable) must be an http(s) URL: \(endpoint)")
        }
        var credentials: (accessKeyID: String, secretAccessKey: String, sessionToken: String?)?
        if let key = env["AWS_ACCESS_KEY_ID"], let secret = env["AWS_SECRET_ACCESS_KEY"] {
            credentials = (key, secret, env["AWS_SESSION_TOKEN"])
        }
        let region = env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"]
        if credentials != nil, region == nil {
            throw FunctionRuntimeError(
                .invalidEnvironment, "AWS_REGION is required to sign \(service) requests to \(endpointVariable)")
        }
        return AWSEndpointConfiguration(endpoint: endpoint, region: region, credentials: credentials, service: service)
    }

    /// Signs `request` (its method, URL and body as they will be sent) with SigV4 for ``service`` when credentials
    /// are configured, adding `x-amz-date`, `x-amz-security-token` and `Authorization`; leaves it unsigned
    /// otherwise.
    public func sign(_ request: inout HTTPClientRequest, now: Date = Date()) {
        guard let credentials, let region else { return }
        let signer = SigV4Signer(
            accessKeyID: credentials.accessKeyID, secretAccessKey: credentials.secretAccessKey,
            sessionToken: credentials.sessionToken, region: region, service: service)
        guard let headers = signer.headers(method: request.method, url: request.url, body: request.body, now: now)
        else { return }
        request.headers += headers
    }
}
