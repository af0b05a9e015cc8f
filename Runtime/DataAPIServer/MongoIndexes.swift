import BSON
import CMongoc
import Logging

extension MongoDocumentBackend {
    /// Creates the indexes with one `createIndexes` command per collection. MongoDB keeps an existing index
    /// with the same keys and name as it is, so this is safe on every start; an index with the same name
    /// and other keys is an error (which names it).
    public func createIndexes(_ specs: [IndexSpec]) async throws {
        var namespaces = [Namespace]()
        for spec in specs where !namespaces.contains(spec.namespace) { namespaces.append(spec.namespace) }
        for namespace in namespaces {
            let indexes: [BSONValue] = specs.filter { $0.namespace == namespace }.map { spec in
                ["key": .document(spec.keyDocument), "name": .string(spec.name)]
            }
            let command: Document = ["createIndexes": .string(namespace.collection), "indexes": .array(indexes)]
            try await pool.withClient { client in
                let database = mongoc_client_get_database(client, namespace.database)!
                defer { mongoc_database_destroy(database) }
                let commandBSON = try BSONBridge.bson(command)
                defer { bson_destroy(commandBSON) }
                let reply = evcsm_bson_reply_new()
                defer { evcsm_bson_reply_free(reply) }
                var error = bson_error_t()
                guard mongoc_database_write_command_with_opts(database, commandBSON, nil, reply, &error) else {
                    throw MongoErrorMapping.map(error, reply: reply)
                }
            }
        }
    }

    /// Creates ``EvcsmIndexes`` on `<database>.ChargingSessions`, for a server's start. A failure (server
    /// unreachable, a conflicting index) is logged, not thrown: queries work without the indexes, slower,
    /// and the next start tries again.
    public func createEvcsmIndexes(database: String, logger: Logger) async {
        do {
            let specs = try EvcsmIndexes.specs(database: database)
            try await createIndexes(specs)
            logger.info(
                "evcsm's indexes are in place",
                metadata: [
                    "namespace": "\(database).\(EvcsmIndexes.collection)", "indexes": "\(specs.map(\.name))",
                ])
        } catch let error as DataAPIError {
            logger.error("creating evcsm's indexes failed", metadata: ["error": "\(error.debugDescription)"])
        } catch {
            logger.error("creating evcsm's indexes failed", metadata: ["error": "\(error)"])
        }
    }

    /// The names of a collection's indexes (for tests).
    func indexNames(_ namespace: Namespace) async throws -> [String] {
        try await pool.withCollection(namespace) { collection in
            let cursor = mongoc_collection_find_indexes_with_opts(collection, nil)
            return try BSONBridge.drain(cursor).compactMap { $0["name"]?.stringValue }
        }
    }
}
