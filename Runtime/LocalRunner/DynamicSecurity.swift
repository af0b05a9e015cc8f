import Crypto
import Foundation

/// Mosquitto's dynamic security plugin (`mosquitto_dynamic_security.so`, in Debian's mosquitto 2.0.11): its
/// state file and its control protocol (JSON commands on `$CONTROL/dynamic-security/v1`, answers on
/// `…/response`). Verified on this machine: `createRole`/`modifyRole` with `acls`, `createClient`/`modifyClient`
/// with `password` and `roles` (modify replaces both), `correlationData` echoed; `%u`/`%c` in ACL topics are
/// not expanded by 2.0.11 (hence per-client roles, ``MQTTRole/isPerClient``).
public enum DynamicSecurity {
    public static let controlTopic = "$CONTROL/dynamic-security/v1"
    public static let responseTopic = "$CONTROL/dynamic-security/v1/response"
    /// The plugin's admin user: the only one allowed on the control topic.
    public static let adminUsername = "evcsm-admin"
    static let adminRole = "evcsm-admin"
    /// PBKDF2 rounds and salt length the plugin itself uses for new passwords.
    static let iterations = 101
    static let saltLength = 12

    /// One ACL of a role.
    public struct ACL: Codable, Sendable, Equatable {
        public var acltype: String
        public var topic: String
        public var allow: Bool
    }

    struct RoleReference: Codable, Sendable, Equatable {
        var rolename: String
    }

    /// One command of a `{"commands": [...]}` request.
    struct Command: Encodable, Sendable {
        var command: String
        var rolename: String?
        var username: String?
        var password: String?
        var acls: [ACL]?
        var roles: [RoleReference]?
        var correlationData: String?
    }

    struct Request: Encodable { var commands: [Command] }

    /// One answer of a `{"responses": [...]}` message; `error` is the plugin's reason.
    struct Response: Decodable, Sendable, Equatable {
        var command: String
        var error: String?
        var correlationData: String?
    }

    struct Responses: Decodable { var responses: [Response] }

    /// `createRole` then `modifyRole`: the role exists with exactly `acls` afterwards, whatever was there.
    static func ensureRole(_ name: String, acls: [ACL]) -> [Command] {
        ["createRole", "modifyRole"].map { Command(command: $0, rolename: name, acls: acls) }
    }

    /// `createClient` then `modifyClient`: the client exists with this password and only this role.
    static func ensureClient(_ credentials: MQTTCredentials, role: String) -> [Command] {
        ["createClient", "modifyClient"].map {
            Command(
                command: $0, username: credentials.username, password: credentials.password,
                roles: [RoleReference(rolename: role)])
        }
    }

    /// The first error among `responses`, ignoring the `create…` "already exists" that ``ensureRole(_:acls:)``
    /// and ``ensureClient(_:role:)`` expect.
    static func firstError(_ responses: [Response]) -> String? {
        for response in responses {
            guard let error = response.error else { continue }
            if response.command.hasPrefix("create"), error.hasSuffix("already exists") { continue }
            return "\(response.command): \(error)"
        }
        return nil
    }

    // MARK: State file

    /// Makes the state file hold the admin user (with `admin`'s password) and its role, keeping everything
    /// else; a missing file becomes a new state with the plugin's default ACL access. Called before mosquitto
    /// starts, so the password never appears on a command line.
    static func prepareState(at path: String, admin: MQTTCredentials) throws(LocalRunnerError) {
        var state: [String: JSONValue] = [
            "clients": .array([]), "roles": .array([]),
            "defaultACLAccess": .object([
                "publishClientSend": .bool(false), "publishClientReceive": .bool(true), "subscribe": .bool(false),
                "unsubscribe": .bool(true),
            ]),
        ]
        if let data = FileManager.default.contents(atPath: path) {
            guard case .object(let existing)? = JSONValue.parse([UInt8](data)) else {
                throw LocalRunnerError(.broker, "\(path) is not a dynamic security state (JSON object); move it away")
            }
            state.merge(existing) { _, old in old }
        }
        state["clients"] = .array(replacing(state["clients"], key: "username", with: adminClient(admin)))
        let adminACLs: [JSONValue] = ["publishClientSend", "publishClientReceive", "subscribePattern"].map {
            .object(["acltype": .string($0), "topic": .string("$CONTROL/dynamic-security/#"), "allow": .bool(true)])
        }
        let role = JSONValue.object(["rolename": .string(adminRole), "acls": .array(adminACLs)])
        state["roles"] = .array(replacing(state["roles"], key: "rolename", with: role))
        try SecretFile.store(Data(JSONValue.object(state).serialized()), at: path)
    }

    /// `list`'s items without the one whose `key` equals `item`'s, then `item`.
    static func replacing(_ list: JSONValue?, key: String, with item: JSONValue) -> [JSONValue] {
        guard case .object(let fields) = item else { return [item] }
        guard case .array(let items)? = list else { return [item] }
        return items.filter { existing in
            guard case .object(let other) = existing else { return true }
            return other[key] != fields[key]
        } + [item]
    }

    static func adminClient(_ admin: MQTTCredentials) -> JSONValue {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<saltLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let hash = pbkdf2SHA512(password: Array(admin.password.utf8), salt: salt, iterations: iterations)
        return .object([
            "username": .string(admin.username), "textName": .string("evcsm-local administrator"),
            "password": .string(Data(hash).base64EncodedString()), "salt": .string(Data(salt).base64EncodedString()),
            "iterations": .integer(Int64(iterations)), "roles": .array([.object(["rolename": .string(adminRole)])]),
        ])
    }

    /// PBKDF2-HMAC-SHA512 with one 64-byte block, as the plugin stores passwords.
    static func pbkdf2SHA512(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let key = SymmetricKey(data: password)
        var block = Array(HMAC<SHA512>.authenticationCode(for: salt + [0, 0, 0, 1], using: key))
        var result = block
        for _ in 1..<max(1, iterations) {
            block = Array(HMAC<SHA512>.authenticationCode(for: block, using: key))
            for index in result.indices { result[index] ^= block[index] }
        }
        return result
    }
}
