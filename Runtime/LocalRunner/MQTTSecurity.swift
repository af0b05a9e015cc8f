import Foundation

/// A broker user name and password, as stored in the data directory (`{"password": "...", "username": "..."}`,
/// mode 0600).
public struct MQTTCredentials: Sendable, Equatable, Codable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// A new random password: 24 bytes (192 bits) from the system generator, base64url without padding.
    public static func generatePassword() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// Whether `name` may be a broker user name: 1 to 128 letters, digits or `.` `_` `-` `:` `@` (so that it
    /// is also one plain topic level, as a per-client ACL puts it into a topic).
    public static func isValidUsername(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 128 else { return false }
        return name.unicodeScalars.allSatisfy { c in
            c.isASCII && (CharacterSet.alphanumerics.contains(c) || ".-_:@".unicodeScalars.contains(c))
        }
    }

    /// The credentials stored at `path`, or new ones (generated password) written there with mode 0600 when
    /// the file is missing or unreadable, so that a user keeps its password across restarts.
    static func loadOrCreate(username: String, path: String) throws(LocalRunnerError) -> MQTTCredentials {
        if let data = FileManager.default.contents(atPath: path),
            let stored = try? RunnerJSON.decoder.decode(MQTTCredentials.self, from: data),
            stored.username == username, !stored.password.isEmpty
        {
            return stored
        }
        let created = MQTTCredentials(username: username, password: generatePassword())
        try created.write(to: path)
        return created
    }

    /// Writes the credentials to `path`, readable by the owner only (created 0600, never wider).
    func write(to path: String) throws(LocalRunnerError) {
        let data: Data
        do {
            data = try RunnerJSON.encoder.encode(self) + Data("\n".utf8)
        } catch {
            throw LocalRunnerError(.io, "cannot encode the credentials of \(username)")
        }
        try SecretFile.store(data, at: path)
    }
}

/// Files that hold secrets: written to a new temporary file created with mode 0600, then renamed into place
/// (never readable by others, not even for a moment).
public enum SecretFile {
    public static func store(_ data: Data, at path: String) throws(LocalRunnerError) {
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw LocalRunnerError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let closed = close(fd)
        guard written == data.count, closed == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw LocalRunnerError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// One broker role: the topics its clients may publish to and subscribe to. Roles are data: the template's
/// top-level `Metadata: EvcsmLocal: MqttRoles:` declares them (see ``MQTTRoles``); the runner knows no topic.
public struct MQTTRole: Sendable, Equatable {
    /// In a topic of a per-client role, the client's user name.
    public static let usernamePlaceholder = "{username}"

    public var name: String
    /// Topic filters the client may publish to (`publishClientSend`).
    public var publish: [String]
    /// Topic filters the client may subscribe to (`subscribePattern`).
    public var subscribe: [String]
    /// Whether `PUT /_iot/mqtt-clients/{username}` may give this role to a client.
    public var grantable: Bool
    /// Whether evcsm-local makes a user of the same name, with a generated password in
    /// `<data-dir>/mqtt-<name>.json`, printed in the banner.
    public var developmentUser: Bool

    public init(
        name: String, publish: [String], subscribe: [String], grantable: Bool = false, developmentUser: Bool = false
    ) {
        self.name = name
        self.publish = publish
        self.subscribe = subscribe
        self.grantable = grantable
        self.developmentUser = developmentUser
    }

    /// Whether a topic names the client (`{username}`): mosquitto 2.0.11's dynamic security plugin does not
    /// expand `%u` in ACLs, so such a role becomes one broker role per client, ``brokerRoleName(for:)``.
    public var isPerClient: Bool { (publish + subscribe).contains { $0.contains(Self.usernamePlaceholder) } }

    /// The broker's name of this role for `username`: the role's name, or `<name>:<username>` when per client.
    public func brokerRoleName(for username: String) -> String { isPerClient ? "\(name):\(username)" : name }

    /// The plugin's ACL list for `username` (placeholders replaced).
    func acls(for username: String) -> [DynamicSecurity.ACL] {
        func topic(_ filter: String) -> String {
            filter.replacingOccurrences(of: Self.usernamePlaceholder, with: username)
        }
        return publish.map { DynamicSecurity.ACL(acltype: "publishClientSend", topic: topic($0), allow: true) }
            + subscribe.map { DynamicSecurity.ACL(acltype: "subscribePattern", topic: topic($0), allow: true) }
    }
}

extension MQTTCredentials {
    /// `--mqtt-username`/`--mqtt-password`, else `MQTT_USERNAME`/`MQTT_PASSWORD`; nil when neither names a user.
    /// A password without a user name is refused.
    public static func fromOptions(
        username: String?, password: String?, environment: [String: String]
    ) throws(LocalRunnerError) -> MQTTCredentials? {
        let user = username ?? environment["MQTT_USERNAME"]
        let secret = password ?? environment["MQTT_PASSWORD"]
        guard let user, !user.isEmpty else {
            if secret != nil { throw LocalRunnerError(.configuration, "--mqtt-password needs --mqtt-username") }
            return nil
        }
        return MQTTCredentials(username: user, password: secret ?? "")
    }
}
