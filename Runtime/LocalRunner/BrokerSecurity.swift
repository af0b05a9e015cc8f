import Foundation

extension BrokerProcess {
    /// What the started broker's access control needs: the plugin, its state file and its admin user.
    public struct Security: Sendable, Equatable {
        /// `mosquitto_dynamic_security.so`.
        public var plugin: String
        /// `<data-dir>/mosquitto/dynamic-security.json`, written by the plugin on every change.
        public var statePath: String
        public var admin: MQTTCredentials

        /// Where Debian (and a source install) put the plugin.
        static let pluginDirectories = [
            "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib/mosquitto", "/usr/local/lib",
            "/usr/lib",
        ]

        /// Finds the plugin, creates `<data-dir>/mosquitto/` (0700), the admin's credentials (generated once,
        /// 0600) and makes the state file hold that admin (see ``DynamicSecurity/prepareState(at:admin:)``).
        static func prepare(dataDirectory: String) throws(LocalRunnerError) -> Security {
            guard
                let plugin = pluginDirectories.map({ "\($0)/mosquitto_dynamic_security.so" })
                    .first(where: FileManager.default.fileExists(atPath:))
            else {
                throw LocalRunnerError(
                    .broker,
                    "mosquitto's dynamic security plugin (mosquitto_dynamic_security.so) is not installed; "
                        + "Debian's mosquitto package has it, or pass --mqtt-url")
            }
            let directory = URL(fileURLWithPath: dataDirectory).appendingPathComponent("mosquitto").standardizedFileURL
            do {
                try FileManager.default.createDirectory(
                    at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw LocalRunnerError(.io, "cannot create \(directory.path): \(error.localizedDescription)")
            }
            let admin = try MQTTCredentials.loadOrCreate(
                username: DynamicSecurity.adminUsername, path: directory.appendingPathComponent("admin.json").path)
            let statePath = directory.appendingPathComponent("dynamic-security.json").path
            try DynamicSecurity.prepareState(at: statePath, admin: admin)
            return Security(plugin: plugin, statePath: statePath, admin: admin)
        }
    }
}
