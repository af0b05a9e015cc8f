import ArgumentParser
import DataAPIServer
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The server's configuration, read once from flags and environment.
struct DataAPIServerConfiguration: Sendable {
    enum Backend: Sendable {
        case sqlite(path: String)
        case mongo(uri: String, majority: Bool)
    }

    let host: String
    let port: Int
    let backend: Backend
    /// Every key accepted at start: the fixed ones plus the key file's.
    let apiKeys: Set<String>
    /// The keys from `--api-key` and `DATA_API_KEYS`, which a key-file reload keeps.
    let fixedKeys: Set<String>
    /// `--api-key-file`, re-read when it changes (``APIKeyFileWatcher``).
    let apiKeyFile: APIKeyFile?
    let maxBodyBytes: Int
    let logLevel: Logger.Level
    /// The database whose `ChargingSessions` gets evcsm's indexes at start (MongoDB backend), nil for none.
    let evcsmIndexesDatabase: String?

    init(_ command: DataAPICommand, environment: [String: String]) throws {
        var keys = Set(command.apiKeys.filter { !$0.isEmpty })
        if let fromEnvironment = environment["DATA_API_KEYS"] {
            keys.formUnion(
                fromEnvironment.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                    !$0.isEmpty
                })
        }
        fixedKeys = keys
        apiKeyFile = command.apiKeyFile.map { APIKeyFile(path: $0) }
        if let file = apiKeyFile {
            guard let fromFile = file.read() else {
                throw ValidationError("cannot read the --api-key-file \(file.path)")
            }
            keys.formUnion(fromFile)
        }
        if keys.isEmpty && !command.insecure {
            throw ValidationError(
                "no API key: pass --api-key, --api-key-file or set DATA_API_KEYS (or --insecure on loopback)")
        }
        if command.insecure && !["127.0.0.1", "::1", "localhost"].contains(command.host) {
            throw ValidationError("--insecure only binds loopback (127.0.0.1, ::1 or localhost), not \(command.host)")
        }
        guard let level = Logger.Level(rawValue: command.logLevel.lowercased()) else {
            throw ValidationError("unknown log level \(command.logLevel)")
        }
        guard command.maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
        host = command.host
        port = command.port
        apiKeys = keys
        maxBodyBytes = command.maxBodyBytes
        logLevel = level
        evcsmIndexesDatabase =
            command.evcsmIndexes
            ? command.evcsmDatabase ?? environment["DATA_API_DATABASE"].flatMap({ $0.isEmpty ? nil : $0 })
                ?? "EVChargingDB"
            : nil
        if let database = evcsmIndexesDatabase {
            do {
                _ = try EvcsmIndexes.specs(database: database)
            } catch {
                throw ValidationError("--evcsm-database: \(error)")
            }
        }
        if let uri = command.mongodbURI ?? environment["MONGODB_URI"].flatMap({ $0.isEmpty ? nil : $0 }) {
            backend = .mongo(uri: uri, majority: command.majority)
        } else {
            backend = .sqlite(path: command.sqlite)
        }
    }
}

/// Builds the application: the Data API routes at `/action/*` and `/app/{appId}/endpoint/data/v1/action/*`,
/// and an unauthenticated `GET /healthz`. The store's indexes exist when it returns: SQLite's migrations
/// create them; on MongoDB it creates ``EvcsmIndexes`` (a failure is logged, and the server still starts).
func buildApplication(_ configuration: DataAPIServerConfiguration) async throws -> some ApplicationProtocol {
    let logger = Logger(label: "evcsm-data-api")
    let backend: any DocumentBackend
    switch configuration.backend {
    case .sqlite(let path):
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        backend = try SQLiteDocumentBackend(path: path)
        logger.info("SQLite backend", metadata: ["path": "\(path)"])
    case .mongo(let uri, let majority):
        let mongo = try MongoDocumentBackend(uri: uri, writeConcernMajority: majority)
        logger.info("MongoDB backend", metadata: ["writeConcern": "\(majority ? "majority" : "default")"])
        if let database = configuration.evcsmIndexesDatabase {
            await mongo.createEvcsmIndexes(database: database, logger: logger)
        }
        backend = mongo
    }
    if configuration.apiKeys.isEmpty {
        logger.warning("--insecure: no API key required (loopback only)")
    }
    let router = Router()
    router.get("healthz") { _, _ in "ok\n" }
    let keyring = APIKeyring(configuration.apiKeys)
    DataAPIController<BasicRequestContext>(
        backend: backend, keyring: keyring, logger: logger, maxBodyBytes: configuration.maxBodyBytes
    ).addRoutes(to: router.group())
    // Rotation without a restart: the key file is polled for changes (see APIKeyFileWatcher).
    let watchers: [any Service] =
        configuration.apiKeyFile.map {
            [APIKeyFileWatcher(file: $0, fixedKeys: configuration.fixedKeys, keyring: keyring, logger: logger)]
        } ?? []
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
        services: watchers,
        onServerRunning: { channel in
            // Printed on stdout so scripts and tests started with --port 0 learn the address.
            let line = "evcsm-data-api listening on http://\(configuration.host):\(channel.localAddress?.port ?? 0)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        },
        logger: logger)
}
