import Foundation
import LocalRunner

/// The broker users of a runner started by the harness, and mosquitto_pub/_sub arguments that sign in as them.
extension RunnerProcess {
    /// The development screen user (`<data-dir>/mqtt-screen.json`): publishes `charging/updates`, subscribes
    /// `session/updates`.
    var mqttScreenCredentials: MQTTCredentials {
        get throws { try mqttCredentials(of: "screen") }
    }

    /// The credentials the runner stored for `username` (`<data-dir>/mqtt-<username>.json`).
    func mqttCredentials(of username: String) throws -> MQTTCredentials {
        let path = MQTTAccess.credentialsFile(dataDirectory: dataDirectory, username: username)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HarnessError("no credentials file \(path)")
        }
        return try JSONDecoder().decode(MQTTCredentials.self, from: data)
    }

    /// `-h 127.0.0.1 -p <port> -u <user> -P <password>` for mosquitto_pub/_sub: the stored user `user`
    /// (default `screen`).
    func mqttArguments(user: String = "screen") throws -> [String] {
        Self.mqttArguments(port: mqttPort, credentials: try mqttCredentials(of: user))
    }

    /// `-h 127.0.0.1 -p <port>` plus `-u`/`-P` when `credentials` are given.
    static func mqttArguments(port: Int, credentials: MQTTCredentials?) -> [String] {
        ["-h", "127.0.0.1", "-p", String(port)]
            + (credentials.map { ["-u", $0.username, "-P", $0.password] } ?? [])
    }
}

extension RunnerProcess {
    /// Metadata for a test template: a development user `tester` that may publish and subscribe to anything
    /// (`mqttArguments(user: "tester")`). Put it at the top of the template text.
    static let testerMetadata = """
        Metadata:
          EvcsmLocal:
            MqttRoles:
              tester: {DevelopmentUser: true, Publish: ["#"], Subscribe: ["#"]}

        """
}
