import Essentials
import FunctionRuntime
import Logging

/// A ``Publisher`` over the AWS IoT Data Plane: `POST {endpoint}/topics/{percent-encoded topic}?qos=1`,
/// signed with SigV4 (`aws:amz:{region}:iotdata`, libcurl's `CURLOPT_AWS_SIGV4`) when AWS credentials are
/// configured, plain otherwise (the local runner serves the same route).
public struct IoTDataPublisher: Publisher {
    /// Where to publish and how to sign (service `iotdata`). Read once from the environment.
    public typealias Configuration = AWSEndpointConfiguration

    public let configuration: Configuration
    private let transport: any HTTPTransport

    public init(configuration: Configuration, transport: any HTTPTransport) {
        self.configuration = configuration
        self.transport = transport
    }

    public func publish(topic: String, payload: [UInt8]) async throws {
        let response = try transport.send(request(topic: topic, payload: payload))
        guard (200..<300).contains(response.status) else {
            throw FunctionRuntimeError(
                .transport, "IoT Data Plane publish to \(topic) answered HTTP \(response.status)")
        }
    }

    /// The HTTP request that publishes `payload` on `topic`.
    public func request(topic: String, payload: [UInt8]) -> HTTPClientRequest {
        var request = HTTPClientRequest(
            method: "POST", url: "\(configuration.endpoint)/topics/\(Self.topicPath(topic))?qos=1",
            headers: [("Content-Type", "application/json")], body: payload, timeout: configuration.timeout)
        configuration.sign(&request)
        return request
    }

    /// The topic's levels percent-encoded, joined by a literal `/`: libcurl before 8.10 signs the path as sent
    /// while AWS encodes it once more for the signature, so only a path of unreserved characters and `/` signs
    /// the same with every libcurl (AWS IoT takes the topic's `/` unencoded).
    public static func topicPath(_ topic: String) -> String {
        topic.split(separator: "/", omittingEmptySubsequences: false).map { percentEncode(String($0)) }
            .joined(separator: "/")
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters (`/` becomes `%2F`).
    public static func percentEncode(_ text: String) -> String { PercentEncoding.encode(text.utf8) }
}

/// The publisher of functions that never publish (GetStatus, ListSessions, GetSession) when
/// `IOT_DATA_ENDPOINT` is not configured; publishing through it is an error.
public struct UnconfiguredPublisher: Publisher {
    public init() {}
    public func publish(topic: String, payload: [UInt8]) async throws {
        throw FunctionRuntimeError(
            .invalidEnvironment, "IOT_DATA_ENDPOINT is not configured; cannot publish to \(topic)")
    }
}
