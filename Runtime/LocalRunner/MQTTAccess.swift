import Foundation
import Logging
import Synchronization

/// Who the runner is on its broker, and the users it made there. With the broker it started: the roles of the
/// template (``MQTTRoles``) and the users `evcsm-bridge` and one per development role (`screen`, `simulator`),
/// passwords generated once into `<data-dir>/mqtt-<user>.json` (0600), made again at every start through the
/// admin connection, which stays open for `PUT /_iot/mqtt-clients/{username}`. With `--mqtt-url` nothing is
/// made: every connection of the runner signs in with `--mqtt-username`/`--mqtt-password`, if given.
public final class MQTTAccess: Sendable {
    public let roles: MQTTRoles
    /// The runner's own connection (IoT rules, SSE, IoT Data Plane publishes).
    public let bridge: MQTTCredentials?
    /// The development users, in template order (empty with `--mqtt-url`).
    public let developmentUsers: [MQTTCredentials]
    /// The admin connection; nil with `--mqtt-url`.
    let admin: DynamicSecurityClient?
    /// The companions' own connections, closed with ``close()``.
    let companionConnections = Mutex<[MQTTConnection]>([])

    init(
        roles: MQTTRoles, bridge: MQTTCredentials?, developmentUsers: [MQTTCredentials], admin: DynamicSecurityClient?
    ) {
        self.roles = roles
        self.bridge = bridge
        self.developmentUsers = developmentUsers
        self.admin = admin
    }

    /// The file of a user's credentials in the data directory.
    public static func credentialsFile(dataDirectory: String, username: String) -> String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent("mqtt-\(username).json").path
    }

    /// Makes the roles and users on the started broker: the bridge's role from `bridgeFilters` (what its
    /// connection subscribes to), every declared role that is not per client, the development users.
    static func provision(
        broker: BrokerProcess, endpoint: MQTTEndpoint, roles: MQTTRoles, bridgeFilters: [String],
        dataDirectory: String, clientID: String, logger: Logger
    ) async throws(LocalRunnerError) -> MQTTAccess {
        let admin = try await DynamicSecurityClient.connect(
            endpoint: endpoint, admin: broker.admin, clientID: clientID, logger: logger)
        do {
            let bridge = try MQTTCredentials.loadOrCreate(
                username: MQTTRoles.bridgeRoleName,
                path: credentialsFile(dataDirectory: dataDirectory, username: MQTTRoles.bridgeRoleName))
            var commands: [DynamicSecurity.Command] = []
            let bridgeRole = roles.bridgeRole(subscribing: bridgeFilters)
            commands += DynamicSecurity.ensureRole(bridgeRole.name, acls: bridgeRole.acls(for: bridge.username))
            commands += DynamicSecurity.ensureClient(bridge, role: bridgeRole.name)
            for role in roles.declared where !role.isPerClient {
                commands += DynamicSecurity.ensureRole(role.name, acls: role.acls(for: role.name))
            }
            var users: [MQTTCredentials] = []
            for role in roles.developmentUsers {
                let user = try MQTTCredentials.loadOrCreate(
                    username: role.name, path: credentialsFile(dataDirectory: dataDirectory, username: role.name))
                commands += DynamicSecurity.ensureClient(user, role: role.name)
                users.append(user)
            }
            try await admin.apply(commands)
            logger.debug("MQTT: \(commands.count / 2) roles and users made on the broker")
            return MQTTAccess(roles: roles, bridge: bridge, developmentUsers: users, admin: admin)
        } catch {
            admin.close()
            throw error
        }
    }

    /// Whether `username` is one of the runner's own users (admin, bridge, development users), which the
    /// provisioning route must never re-password or re-role.
    func isReserved(_ username: String) -> Bool {
        [DynamicSecurity.adminUsername, MQTTRoles.bridgeRoleName].contains(username)
            || roles.developmentUsers.contains { $0.name == username } || bridge?.username == username
    }

    /// Credentials for a companion's connection: the development user it names, else the bridge's (with
    /// `--mqtt-url`, the given ones).
    func credentials(forCompanionUser username: String) -> MQTTCredentials? {
        developmentUsers.first { $0.username == username } ?? bridge
    }

    /// Connects `companion` as its own MQTT client (its ``RunnerCompanion/mqttUsername``), subscribed to its
    /// topic filters, and returns how it publishes (QoS 1, false when it could not).
    func connect(
        _ companion: any RunnerCompanion, endpoint: MQTTEndpoint, clientID: String, metrics: RunnerMetrics,
        logger: Logger
    ) async throws(LocalRunnerError) -> @Sendable (String, [UInt8]) -> Bool {
        let connection = try MQTTConnection(
            endpoint: endpoint, clientID: clientID,
            credentials: credentials(forCompanionUser: companion.mqttUsername), logger: logger
        ) { message in
            Task { await companion.accept(topic: message.topic, payload: message.payload) }
        }
        connection.subscribe(companion.topicFilters)
        try connection.start()
        companionConnections.withLock { $0.append(connection) }
        if await !connection.waitUntilConnected(timeout: .seconds(10)) {
            logger.warning("MQTT: \(companion.mqttUsername) not connected to \(endpoint) yet; retrying")
        }
        return { topic, payload in
            do {
                try connection.publish(topic: topic, payload: payload, qos: 1)
                metrics.recordMQTTOut(topic: topic)
                return true
            } catch {
                return false
            }
        }
    }

    /// Closes the companions' and the admin connection.
    func close() {
        for connection in companionConnections.withLock({ $0 }) { connection.close() }
        admin?.close()
    }
}
