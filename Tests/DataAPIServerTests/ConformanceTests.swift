import DataAPI
import DataAPIServer
import Foundation
import Testing

/// The same JSON cases (Tests/Fixtures/dataapi) through the HTTP endpoint on both backends.
@Suite("Data API conformance: SQLite backend")
struct SQLiteConformance {
    @Test("every fixture passes on SQLite")
    func sqlite() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let backend = try SQLiteDocumentBackend(path: directory.path + "/conformance.sqlite")
        let steps = try await ConformanceRunner(target: .sqlite).runAll(backend: backend)
        #expect(steps > 100)
    }
}

/// MongoDB backend: the mongoeco stand-in by default (started here, on an ephemeral loopback port;
/// the test FAILS when it cannot start), or the real mongod of `MONGODB_URI` (`make test-mongo`).
@Suite("Data API conformance: MongoDB backend")
struct MongoConformance {
    @Test("every fixture passes on MongoDB (mongoeco stand-in unless MONGODB_URI is set)")
    func mongo() async throws {
        let server = try await MongoServer.start()
        do {
            let backend = try MongoDocumentBackend(uri: server.uri)
            let runner = ConformanceRunner(target: server.isStandIn ? .mongoStandIn : .mongod)
            let steps = try await runner.runAll(backend: backend)
            #expect(steps > 100)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

/// A temporary directory removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("evcsm-dataapi-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
