import BSON
import DataAPIServer
import Hummingbird
import Logging

/// The Data API at `/data-api` (SQLite in the data dir, or MongoDB with `--mongodb-uri`), requiring the
/// per-run key the workers get as `DATA_API_KEY`.
enum DataAPIMount {
    static func addRoutes(
        to router: Router<BasicRequestContext>, backend: any DocumentBackend, apiKey: String, logger: Logger
    ) {
        DataAPIController<BasicRequestContext>(backend: backend, apiKeys: [apiKey], logger: logger)
            .addRoutes(to: router.group("/data-api"))
    }

    /// Opens the configured store: MongoDB when a URI is given, else the SQLite file in the data directory
    /// (which must exist).
    static func openBackend(
        configuration: RunnerConfiguration, dataDirectory: DataDirectory
    ) throws(LocalRunnerError) -> any DocumentBackend {
        if let uri = configuration.mongodbURI {
            do {
                return try MongoDocumentBackend(uri: uri)
            } catch {
                throw LocalRunnerError(.configuration, "--mongodb-uri: \(error)")
            }
        }
        let path = dataDirectory.sqliteFile
        do {
            return try SQLiteDocumentBackend(path: path)
        } catch {
            throw LocalRunnerError(.io, "cannot open the Data API store \(path): \(error)")
        }
    }
}

/// The Data API store as the routes see it: built with the router, opened by ``InfrastructureService`` as it
/// starts (the HTTP server only listens after that). Until then every command fails as unavailable (503).
final class DeferredDocumentBackend: DocumentBackend {
    let store = AsyncValue<any DocumentBackend>()

    /// Hands over the opened store (first call wins).
    func open(_ backend: any DocumentBackend) { store.set(backend) }

    func opened() throws(DataAPIError) -> any DocumentBackend {
        guard let backend = store.current else {
            throw DataAPIError(.backendUnavailable, "the Data API store is not open yet")
        }
        return backend
    }

    func find(_ command: FindCommand) async throws -> [Document] { try await opened().find(command) }
    func insert(_ command: InsertCommand) async throws -> [BSONValue] { try await opened().insert(command) }
    func update(_ command: UpdateCommand) async throws -> UpdateResult { try await opened().update(command) }
    func delete(_ command: DeleteCommand) async throws -> Int { try await opened().delete(command) }
    func aggregate(_ command: AggregateCommand) async throws -> [Document] { try await opened().aggregate(command) }
}
