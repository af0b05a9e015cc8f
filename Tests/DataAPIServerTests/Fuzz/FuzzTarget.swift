import BSON
import Foundation
import TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `evcsm-data-api` process on an ephemeral loopback port, over a fresh SQLite file or over MongoDB
/// (the mongoeco stand-in, or `MONGODB_URI`), with a plain HTTP client for the fuzzer's requests.
final class FuzzTarget: Sendable {
    enum Backend: String, Sendable, CaseIterable { case sqlite, mongo }

    static let apiKey = "fuzz-key"
    let backend: Backend
    let child: ChildProcess
    let base: String
    private let mongo: MongoServer?
    private let directory: TemporaryDirectory
    private let session: URLSession

    private init(
        backend: Backend, child: ChildProcess, base: String, mongo: MongoServer?, directory: TemporaryDirectory
    ) {
        self.backend = backend
        self.child = child
        self.base = base
        self.mongo = mongo
        self.directory = directory
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 120
        session = URLSession(configuration: configuration)
    }

    static func start(_ backend: Backend) async throws -> FuzzTarget {
        let directory = try TemporaryDirectory()
        var arguments = ["--port", "0", "--api-key", apiKey, "--log-level", "info"]
        var mongo: MongoServer?
        switch backend {
        case .sqlite:
            arguments += ["--sqlite", directory.path + "/fuzz.sqlite"]
        case .mongo:
            let server = try await MongoServer.start()
            mongo = server
            arguments += ["--mongodb-uri", server.uri, "--no-evcsm-indexes"]
        }
        let child = try ChildProcess.start(
            try PersistenceTests.binary(), arguments: arguments, environment: ["DATA_API_KEYS": "", "MONGODB_URI": ""])
        do {
            try await child.waitForOutput(containing: "listening on http://", timeout: .seconds(60))
        } catch {
            child.kill()
            await mongo?.stop()
            throw error
        }
        let line = child.standardOutputText.split(separator: "\n").first { $0.contains("listening on http://") } ?? ""
        let base = line.range(of: "http://").map { String(line[$0.lowerBound...]) } ?? ""
        return FuzzTarget(backend: backend, child: child, base: base, mongo: mongo, directory: directory)
    }

    /// Sends a case; the status and the reply body. A transport failure is status 0 with its description.
    func send(_ fuzzCase: FuzzCase) async -> (status: Int, body: [UInt8]) {
        guard let url = URL(string: base + fuzzCase.path) else { return (0, Array("unusable URL".utf8)) }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        for (name, value) in fuzzCase.headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(fuzzCase.body)
        do {
            let (data, response) = try await session.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, [UInt8](data))
        } catch {
            return (0, Array("\(error)".utf8))
        }
    }

    /// The documents of `collection`, in `_id` order, as the server answers them: what a refused write must
    /// leave exactly as it was.
    func contents(of collection: String, in database: String) async -> String {
        let body: Document = [
            "database": .string(database), "collection": .string(collection), "filter": [:],
            "sort": ["_id": 1],
        ]
        let fuzzCase = FuzzCase(
            kind: "contents", path: "/action/find",
            headers: [("Content-Type", "application/ejson"), ("apiKey", Self.apiKey)],
            body: ExtendedJSON.serializeBytes(.document(body), mode: .canonical), isWrite: false,
            mayWritePartially: false, database: database, collection: collection)
        let (status, reply) = await send(fuzzCase)
        return "\(status) " + String(decoding: reply, as: UTF8.self)
    }

    func stop() async {
        session.invalidateAndCancel()
        await child.stop()
        await mongo?.stop()
        directory.remove()
    }
}
