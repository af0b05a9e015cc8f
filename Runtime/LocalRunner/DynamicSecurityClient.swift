import Foundation
import Logging
import Synchronization

/// The runner's admin connection to the started broker: sends dynamic security commands and waits for their
/// answers (matched by `correlationData`). Used at start to make the roles and users, and by
/// `PUT /_iot/mqtt-clients/{username}` to add or re-password a client.
public final class DynamicSecurityClient: Sendable {
    /// Waiters for answers, by correlation id.
    final class Pending: Sendable {
        let waiters = Mutex<[String: CheckedContinuation<[DynamicSecurity.Response]?, Never>]>([:])

        func accept(_ message: MQTTMessage) {
            guard message.topic == DynamicSecurity.responseTopic,
                let answer = try? RunnerJSON.decoder.decode(
                    DynamicSecurity.Responses.self, from: Data(message.payload)),
                let id = answer.responses.first?.correlationData
            else { return }
            resume(id, with: answer.responses)
        }

        func resume(_ id: String, with responses: [DynamicSecurity.Response]?) {
            let waiter = waiters.withLock { $0.removeValue(forKey: id) }
            waiter?.resume(returning: responses)
        }
    }

    let connection: MQTTConnection
    let pending: Pending
    let logger: Logger

    /// Connects as ``DynamicSecurity/adminUsername`` and waits (up to 10 s) until the broker accepts it.
    static func connect(
        endpoint: MQTTEndpoint, admin: MQTTCredentials, clientID: String, logger: Logger
    ) async throws(LocalRunnerError) -> DynamicSecurityClient {
        let pending = Pending()
        let connection = try MQTTConnection(
            endpoint: endpoint, clientID: clientID, credentials: admin, logger: logger
        ) { message in pending.accept(message) }
        connection.subscribe([DynamicSecurity.responseTopic])
        try connection.start()
        guard await connection.waitUntilConnected(timeout: .seconds(10)) else {
            connection.close()
            throw LocalRunnerError(
                .broker, "the broker at \(endpoint) did not accept its admin user \(admin.username) within 10 s")
        }
        return DynamicSecurityClient(connection: connection, pending: pending, logger: logger)
    }

    init(connection: MQTTConnection, pending: Pending, logger: Logger) {
        self.connection = connection
        self.pending = pending
        self.logger = logger
    }

    /// Sends `commands` in one request and returns the plugin's answers, in order.
    func send(
        _ commands: [DynamicSecurity.Command], timeout: Duration = .seconds(10)
    ) async throws(LocalRunnerError) -> [DynamicSecurity.Response] {
        let id = UUID().uuidString.lowercased()
        let request = DynamicSecurity.Request(
            commands: commands.map { command in
                var command = command
                command.correlationData = id
                return command
            })
        let payload: [UInt8]
        do {
            payload = [UInt8](try RunnerJSON.encoder.encode(request))
        } catch {
            throw LocalRunnerError(.broker, "cannot encode a dynamic security request")
        }
        let pending = self.pending
        let timer = Mutex<Task<Void, Never>?>(nil)
        defer { timer.withLock { $0?.cancel() } }
        let connection = self.connection
        let answer: [DynamicSecurity.Response]? = await withCheckedContinuation { continuation in
            // The waiter is in place before the timer or the answer can resume it.
            pending.waiters.withLock { $0[id] = continuation }
            timer.withLock {
                $0 = Task {
                    try? await Task.sleep(for: timeout)
                    pending.resume(id, with: nil)
                }
            }
            do {
                try connection.publish(topic: DynamicSecurity.controlTopic, payload: payload, qos: 1)
            } catch {
                pending.resume(id, with: nil)
            }
        }
        guard let answer else {
            throw LocalRunnerError(.broker, "the broker did not answer a dynamic security request within \(timeout)")
        }
        return answer
    }

    /// Runs `commands` and throws the plugin's first error (create's "already exists" aside).
    func apply(_ commands: [DynamicSecurity.Command]) async throws(LocalRunnerError) {
        let responses = try await send(commands)
        if let error = DynamicSecurity.firstError(responses) {
            throw LocalRunnerError(.broker, "dynamic security refused \(error)")
        }
    }

    /// Makes `role` (for `credentials`' user) and the client with that role and password.
    public func grant(_ role: MQTTRole, to credentials: MQTTCredentials) async throws(LocalRunnerError) {
        let name = role.brokerRoleName(for: credentials.username)
        try await apply(
            DynamicSecurity.ensureRole(name, acls: role.acls(for: credentials.username))
                + DynamicSecurity.ensureClient(credentials, role: name))
    }

    /// Disconnects.
    public func close() { connection.close() }
}
