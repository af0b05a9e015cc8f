import FunctionRuntime
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The AWS IoT custom authorizer of charging points that sign in to MQTT with a username (their chargePointId) and
/// the password RegisterCharger generated (cloud only; evcsm-local's broker checks passwords itself).
///
/// Allowed: a registered, provisioned point whose password hashes to the stored hash (PBKDF2, constant-time compare),
/// with a client id equal to its username (without any `?…` query string) when one is sent. The policy lets it connect as client `<id>`, publish on
/// `chargers/<id>/*`, subscribe to `session/updates` and receive on it — nothing else. Anything unknown, wrong or
/// missing answers `isAuthenticated: false`; a store failure is thrown (AWS IoT then refuses the connection). The
/// password is never logged.
public struct MqttAuthorizerHandler: FunctionHandler {
    /// Where the policy's resources are: `arn:<partition>:iot:<region>:<account>:`.
    public struct PolicyScope: Sendable, Hashable {
        public var partition: String
        public var region: String
        public var account: String

        public init(partition: String = "aws", region: String, account: String) {
            self.partition = partition
            self.region = region
            self.account = account
        }

        /// The partition, region and account of the function itself, from its ARN
        /// (`arn:<partition>:lambda:<region>:<account>:function:<name>`); nil for anything else.
        public init?(functionARN: String) {
            let parts = functionARN.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 7, parts[0] == "arn", parts[2] == "lambda", parts[5] == "function",
                !parts[1].isEmpty, !parts[3].isEmpty, !parts[4].isEmpty
            else { return nil }
            self.init(partition: String(parts[1]), region: String(parts[3]), account: String(parts[4]))
        }

        func arn(_ resource: String) -> String { "arn:\(partition):iot:\(region):\(account):\(resource)" }
    }

    /// How long a connection lasts before AWS IoT closes it (the maximum, 24 h).
    public static let disconnectAfterSeconds = 86_400
    /// How often AWS IoT asks again, so a withdrawn registration loses its connection within the hour.
    public static let refreshAfterSeconds = 3_600

    let registry: any ChargingPointRegistry

    public init(registry: any ChargingPointRegistry) {
        self.registry = registry
    }

    /// The environment variables ``live(_:logger:)`` reads, for `--help`.
    public static let environmentVariables = [
        "DATA_API_URL", "DATA_API_KEY", "DATA_API_DATA_SOURCE", "DATA_API_DATABASE", "DATA_API_TIMEOUT_MS",
    ]

    /// The production composition: a ``DataAPIChargingPointRegistry`` over libcurl.
    public static func live(
        _ env: FunctionEnvironment, logger: Logger
    ) throws(FunctionRuntimeError)
        -> MqttAuthorizerHandler
    {
        MqttAuthorizerHandler(registry: try DataAPIChargingPointRegistry.live(env, logger: logger))
    }

    public func handle(
        _ event: IoTCustomAuthorizerEvent, context: FunctionContext
    ) async throws
        -> IoTCustomAuthorizerResponse
    {
        let mqtt = event.protocolData?.mqtt
        // A device names the authorizer in a query string after the username (`cp-7?x-amz-customauthorizer-name=…`);
        // an id never contains `?`.
        let username = mqtt?.username.map { String($0.prefix { $0 != "?" }) }
        guard let username, ChargerRegistrationRequest.isValidChargePointID(username) else {
            return refuse("no or malformed MQTT username", username: nil, context: context)
        }
        if let clientId = mqtt?.clientId, clientId != username {
            return refuse("client id differs from the username", username: username, context: context)
        }
        guard let encoded = mqtt?.password, let password = Data(base64Encoded: encoded) else {
            return refuse("no MQTT password", username: username, context: context)
        }
        let registration = try await registry.registration(chargePointId: username)
        guard let registration, registration.provisioned else {
            // The same work as for a known point, so the answer's timing does not tell registered ids apart.
            _ = PasswordHash.unknownPoint.verifies(Array(password))
            return refuse("not a registered charging point", username: username, context: context)
        }
        guard registration.credentials.verifies(Array(password)) else {
            return refuse("wrong password", username: username, context: context)
        }
        guard let scope = PolicyScope(functionARN: context.invokedFunctionARN) else {
            throw FunctionRuntimeError(
                .invalidEvent, "cannot read partition, region and account from \(context.invokedFunctionARN)")
        }
        context.logger.info("charging point signed in", metadata: ["chargePointId": "\(username)"])
        return IoTCustomAuthorizerResponse(
            isAuthenticated: true, principalId: Self.principalId(username),
            disconnectAfterInSeconds: Self.disconnectAfterSeconds, refreshAfterInSeconds: Self.refreshAfterSeconds,
            policyDocuments: [try Self.policy(for: username, in: scope)])
    }

    /// The policy of charging point `id` (resources in `scope`), as the JSON text AWS IoT expects in
    /// `policyDocuments`. The id's charset has none of the policy wildcards `*` and `?`, nor MQTT's `+` and `#`.
    public static func policy(for id: String, in scope: PolicyScope) throws -> String {
        let document = IoTPolicy(statements: [
            .init(action: "iot:Connect", resource: scope.arn("client/\(id)")),
            .init(action: "iot:Publish", resource: scope.arn("topic/chargers/\(id)/*")),
            .init(action: "iot:Subscribe", resource: scope.arn("topicfilter/session/updates")),
            .init(action: "iot:Receive", resource: scope.arn("topic/session/updates")),
        ])
        return String(decoding: try JSONCoding.encoder.encode(document), as: UTF8.self)
    }

    /// `principalId` must match `[a-zA-Z0-9]{1,128}`: the id itself when it does, otherwise its UTF-8 bytes in hex.
    static func principalId(_ id: String) -> String {
        let alphanumeric = id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
        guard !alphanumeric else { return id }
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: id.utf8.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0xF)]] }, as: UTF8.self)
    }

    private func refuse(_ reason: String, username: String?, context: FunctionContext) -> IoTCustomAuthorizerResponse {
        context.logger.notice(
            "MQTT sign-in refused", metadata: ["reason": "\(reason)", "username": "\(username ?? "none")"])
        return IoTCustomAuthorizerResponse(
            isAuthenticated: false, principalId: username.map(Self.principalId) ?? "unknown",
            disconnectAfterInSeconds: Self.disconnectAfterSeconds, refreshAfterInSeconds: Self.refreshAfterSeconds,
            policyDocuments: [])
    }
}

extension PasswordHash {
    /// A hash no password matches, verified for unknown points so that they cost what a known one costs.
    static let unknownPoint = PasswordHash(
        iterations: defaultIterations, salt: Array(repeating: 0, count: saltBytes),
        hash: Array(repeating: 0, count: keyBytes))
}
