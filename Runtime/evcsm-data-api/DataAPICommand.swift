import ArgumentParser
import DataAPIServer
import EventLoopGlobalExecutor
import Foundation
import Hummingbird
import Logging

/// `evcsm-data-api`: the MongoDB Data API v1 as a standalone server, in front of the embedded SQLite
/// store (default) or any MongoDB.
@main
struct DataAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evcsm-data-api",
        abstract: "MongoDB Data API v1 server (embedded SQLite store or MongoDB).",
        discussion: """
            Keys come from --api-key (repeatable), --api-key-file (one a line) and DATA_API_KEYS \
            (comma-separated). Without a key the \
            server refuses to start, unless --insecure, which only binds loopback. \
            MONGODB_URI selects the MongoDB backend like --mongodb-uri.
            """)

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind (0 picks a free one; the chosen address is printed).")
    var port = 5275

    @Option(help: "SQLite database file of the embedded backend (the default backend).")
    var sqlite = "data/evcsm-data-api.sqlite"

    @Option(name: .customLong("mongodb-uri"), help: "Use MongoDB at this URI instead of SQLite (or MONGODB_URI).")
    var mongodbURI: String?

    @Flag(inversion: .prefixedNo, help: "Write concern majority for MongoDB writes.")
    var majority = true

    @Option(
        name: .customLong("evcsm-database"),
        help:
            "MongoDB: the database whose ChargingSessions gets evcsm's indexes at start (default DATA_API_DATABASE, else EVChargingDB)."
    )
    var evcsmDatabase: String?

    @Flag(inversion: .prefixedNo, help: "Create evcsm's indexes at start (MongoDB; SQLite always has them).")
    var evcsmIndexes = true

    @Option(name: .customLong("api-key"), help: "An accepted API key (repeatable; also DATA_API_KEYS).")
    var apiKeys: [String] = []

    @Option(
        name: .customLong("api-key-file"),
        help:
            "A file of accepted API keys, one a line (keeps them off the command line); re-read within ~2 s of a change, so keys rotate without a restart."
    )
    var apiKeyFile: String?

    @Flag(help: "Run without API keys; only allowed on a loopback address.")
    var insecure = false

    @Option(help: "Largest accepted request body in bytes.")
    var maxBodyBytes = 16 << 20

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        let onEventLoops = EventLoopGlobalExecutor.install()
        let configuration = try DataAPIServerConfiguration(self, environment: ProcessInfo.processInfo.environment)
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        if !onEventLoops {
            Logger(label: "evcsm-data-api").warning(
                "Swift concurrency stays on its cooperative pool (its global executor hook was taken): more thread switches per request"
            )
        }
        let app = try await buildApplication(configuration)
        try await app.runService()
    }
}
