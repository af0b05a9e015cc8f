import Foundation

/// The runner's data directory and the files it keeps there. Nothing is created when this value is made:
/// ``InfrastructureService`` calls ``create()`` and ``writeDataAPIKey(_:)`` as it starts.
struct DataDirectory: Sendable {
    /// The directory, as given (`--data-dir`).
    let path: String

    /// The embedded Data API store.
    var sqliteFile: String { file("evcsm.sqlite") }
    /// The per-run Data API key, for people and tools outside the runner (mode 0600).
    var dataAPIKeyFile: String { file("data-api-key") }
    /// The workers' AWS credential pair (``WorkerCredentials``, mode 0600), kept across restarts.
    var awsCredentialsFile: String { file("aws-credentials.json") }
    /// One JSON line per IoT message that failed every attempt.
    var deadLetterFile: String { file("dead-letters.jsonl") }

    func file(_ name: String) -> String { URL(fileURLWithPath: path).appendingPathComponent(name).path }

    /// Creates the directory (and its parents) if it is missing.
    func create() throws(LocalRunnerError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LocalRunnerError(.io, "cannot create data dir \(path): \(error.localizedDescription)")
        }
    }

    /// Writes the Data API key, readable by the owner only.
    func writeDataAPIKey(_ key: String) throws(LocalRunnerError) {
        let keyFile = dataAPIKeyFile
        guard
            FileManager.default.createFile(
                atPath: keyFile, contents: Data((key + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw LocalRunnerError(.io, "cannot write the Data API key file \(keyFile)")
        }
    }
}
