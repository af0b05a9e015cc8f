import FunctionRuntime

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An ``MqttClientProvisioner`` over the IoT side of evcsm-local: `PUT {IOT_CLIENTS_ENDPOINT}/_iot/mqtt-clients/{username}`
/// `{"password", "role"}` → 204, signed with SigV4 (service `iotdata`) exactly like ``IoTDataPublisher`` (the same
/// ``IoTDataPublisher/Configuration``, read from `IOT_CLIENTS_ENDPOINT` and the `AWS_*` variables).
///
/// The cloud has no such route: there `IOT_CLIENTS_ENDPOINT` is unset, nothing is provisioned, and chargers sign in
/// through the MqttAuthorizer, which checks the stored hash.
public struct IoTClientsProvisioner: MqttClientProvisioner {
    /// The environment variable of the endpoint.
    public static let endpointVariable = "IOT_CLIENTS_ENDPOINT"

    public let configuration: IoTDataPublisher.Configuration
    private let transport: any HTTPTransport

    public init(configuration: IoTDataPublisher.Configuration, transport: any HTTPTransport) {
        self.configuration = configuration
        self.transport = transport
    }

    /// The provisioner of `IOT_CLIENTS_ENDPOINT`, nil when the variable is unset (the cloud).
    public static func fromEnvironment(
        _ env: FunctionEnvironment, transport: any HTTPTransport
    ) throws(FunctionRuntimeError) -> IoTClientsProvisioner? {
        guard env[endpointVariable] != nil else { return nil }
        return IoTClientsProvisioner(
            configuration: try .fromEnvironment(env, endpointVariable: endpointVariable), transport: transport)
    }

    struct Body: Encodable {
        let password: String
        let role: String
    }

    public func provision(username: String, password: String, role: String) async throws {
        let response = try transport.send(try request(username: username, password: password, role: role))
        guard (200..<300).contains(response.status) else {
            // The answer's body is left out: it could echo what was sent.
            throw FunctionRuntimeError(
                .transport, "creating the MQTT client \(username) answered HTTP \(response.status)")
        }
    }

    /// The signed HTTP request that creates (or updates) the client.
    public func request(username: String, password: String, role: String) throws -> HTTPClientRequest {
        var request = HTTPClientRequest(
            method: "PUT",
            url: "\(configuration.endpoint)/_iot/mqtt-clients/\(IoTDataPublisher.percentEncode(username))",
            headers: [("Content-Type", "application/json")],
            body: Array(try JSONCoding.encoder.encode(Body(password: password, role: role))),
            timeout: configuration.timeout)
        configuration.sign(&request)
        return request
    }
}
