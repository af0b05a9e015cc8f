import Foundation
import TestSupport
import Testing

/// The MongoDB server for the MongoDB-backend run: `MONGODB_URI` when set (a real mongod, via
/// `make test-mongo`), otherwise the mongoeco stand-in started from `EVCSM_MONGOECO_PYTHON` (the venv
/// `make dataapi-venv` creates) on an ephemeral loopback port. mongoeco is a Python implementation of
/// the MongoDB wire protocol, not MongoDB; its deviations are written down in the fixtures.
final class MongoServer: Sendable {
    let uri: String
    let isStandIn: Bool
    private let process: ChildProcess?

    private init(uri: String, isStandIn: Bool, process: ChildProcess?) {
        self.uri = uri
        self.isStandIn = isStandIn
        self.process = process
    }

    static func start() async throws -> MongoServer {
        let environment = ProcessInfo.processInfo.environment
        if let uri = environment["MONGODB_URI"], !uri.isEmpty {
            return MongoServer(uri: uri, isStandIn: false, process: nil)
        }
        let root = ConformanceRunner.repositoryRoot
        let python =
            environment["EVCSM_MONGOECO_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? root.appendingPathComponent(".venv/mongo/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw MongoServerError(
                "mongoeco stand-in not installed: \(python) missing (run `make dataapi-venv`, "
                    + "or set EVCSM_MONGOECO_PYTHON / MONGODB_URI)")
        }
        let script = root.appendingPathComponent("Tests/mongo/mongoeco_server.py").path
        let child = try ChildProcess.start(python, arguments: [script, "0"], environment: ["PYTHONUNBUFFERED": "1"])
        do {
            try await child.waitForOutput(containing: "mongodb://", timeout: .seconds(120))
        } catch {
            await child.stop()
            throw error
        }
        guard let line = child.standardOutputText.split(separator: "\n").first(where: { $0.hasPrefix("mongodb://") })
        else {
            await child.stop()
            throw MongoServerError("mongoeco printed no URI: \(child.standardErrorText)")
        }
        return MongoServer(uri: String(line), isStandIn: true, process: child)
    }

    func stop() async {
        await process?.stop()
    }
}

/// The MongoDB server for the tests could not be started.
struct MongoServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
