import DataAPIServer
import Foundation
import Hummingbird
import Logging

/// The Data API at `/data-api` (SQLite in the data dir, or MongoDB with `--mongodb-uri`), requiring the
/// per-run key the workers get as `DATA_API_KEY`.
enum DataAPIMount {
    /// The embedded store's file name in the data dir.
    static let sqliteFileName = "evcsm.sqlite"

    static func addRoutes(
        to router: Router<BasicRequestContext>, configuration: RunnerConfiguration, apiKey: String, logger: Logger
    ) throws {
        let backend: any DocumentBackend
        if let uri = configuration.mongodbURI {
            backend = try MongoDocumentBackend(uri: uri)
        } else {
            let path = URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent(sqliteFileName).path
            backend = try SQLiteDocumentBackend(path: path)
        }
        DataAPIController<BasicRequestContext>(backend: backend, apiKeys: [apiKey], logger: logger)
            .addRoutes(to: router.group("/data-api"))
    }
}
