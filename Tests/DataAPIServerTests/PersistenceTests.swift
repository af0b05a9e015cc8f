import BSON
import DataAPI
import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `evcsm-data-api` binary (from EVCSM_BIN_DIR) on SQLite: acknowledged writes survive
/// `kill -9`, and the server refuses to start without a key.
@Suite("evcsm-data-api binary")
struct PersistenceTests {
    static let key = "persistence-key"

    static func binary() throws -> String {
        guard let directory = ProcessInfo.processInfo.environment["EVCSM_BIN_DIR"], !directory.isEmpty else {
            throw MongoServerError("EVCSM_BIN_DIR is not set (it must point at the debug bin dir with evcsm-data-api)")
        }
        return directory + "/evcsm-data-api"
    }

    /// Starts the server on an ephemeral port; returns the process and its base URL.
    static func start(database: String) async throws -> (ChildProcess, String) {
        let child = try ChildProcess.start(
            try binary(), arguments: ["--port", "0", "--sqlite", database, "--api-key", key],
            environment: ["DATA_API_KEYS": ""])
        try await child.waitForOutput(containing: "listening on http://", timeout: .seconds(60))
        let line = child.standardOutputText.split(separator: "\n").first { $0.contains("listening on http://") } ?? ""
        let url = String(line[line.range(of: "http://")!.lowerBound...])
        return (child, url)
    }

    static func call(_ base: String, _ action: String, _ body: Document) async throws -> (Int, Document) {
        var full = body
        full["database"] = "EVChargingDB"
        full["collection"] = "ChargingSessions"
        var request = URLRequest(url: URL(string: "\(base)/action/\(action)")!)
        request.httpMethod = "POST"
        request.setValue("application/ejson", forHTTPHeaderField: "Content-Type")
        request.setValue("application/ejson", forHTTPHeaderField: "Accept")
        request.setValue(key, forHTTPHeaderField: "apiKey")
        request.httpBody = Data(ExtendedJSON.serializeBytes(.document(full), mode: .canonical))
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, try ExtendedJSON.parseDocument([UInt8](data)))
    }

    @Test("acknowledged writes survive kill -9 and a restart")
    func survivesKill() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.path + "/data/evcsm.sqlite"
        let (first, base) = try await Self.start(database: database)
        var expected = [Document]()
        do {
            let batch: [BSONValue] = (0..<100).map { i in
                [
                    "_id": .string("m-\(i)"), "energyWh": .integer(Int64(i)),
                    "startTime": .datetime(1_767_261_600_000 + Int64(i)),
                ]
            }
            let (status, _) = try await Self.call(base, "insertMany", ["documents": .array(batch)])
            #expect(status == 200)
            expected += batch.compactMap(\.documentValue)
            for i in 0..<20 {
                let document: Document = [
                    "_id": .string("o-\(i)"), "status": "Charging", "cost": .double(Double(i) / 4),
                ]
                let (status, _) = try await Self.call(base, "insertOne", ["document": .document(document)])
                #expect(status == 200)
                expected.append(document)
            }
            let (updated, reply) = try await Self.call(
                base, "updateOne", ["filter": ["_id": "o-0"], "update": ["$set": ["status": "Stopped"]]])
            #expect(updated == 200 && reply["modifiedCount"] == .int32(1))
            expected[100]["status"] = "Stopped"
        } catch {
            first.kill()
            throw error
        }
        // Right after the last acknowledgement: no graceful shutdown, no checkpoint.
        first.kill()
        _ = try await first.wait(timeout: .seconds(30))
        #expect(first.wasSignalled)

        let (second, secondBase) = try await Self.start(database: database)
        defer { second.kill() }
        let (status, reply) = try await Self.call(secondBase, "find", ["filter": [:], "sort": ["_id": 1]])
        #expect(status == 200)
        let documents = reply["documents"]?.arrayValue?.compactMap(\.documentValue) ?? []
        #expect(documents.count == expected.count)
        let byId = Dictionary(uniqueKeysWithValues: expected.map { ($0["_id"]!.stringValue!, $0) })
        for document in documents {
            #expect(byId[document["_id"]?.stringValue ?? ""] == document, "\(document)")
        }
        // SIGTERM is a graceful shutdown: the server drains and exits 0.
        second.terminate()
        #expect(try await second.wait(timeout: .seconds(30)) == 0, "\(second.standardErrorText.suffix(2000))")
    }

    @Test("refuses to start without an API key, and --insecure refuses a non-loopback host")
    func refusesWithoutKey() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let noKey = try ChildProcess.start(
            try Self.binary(), arguments: ["--port", "0", "--sqlite", directory.path + "/a.sqlite"],
            environment: ["DATA_API_KEYS": ""])
        let status = try await noKey.wait(timeout: .seconds(60))
        #expect(status != 0)
        #expect(noKey.standardErrorText.contains("API key"), "\(noKey.standardErrorText)")
        let open = try ChildProcess.start(
            try Self.binary(),
            arguments: ["--insecure", "--host", "0.0.0.0", "--port", "0", "--sqlite", directory.path + "/b.sqlite"],
            environment: ["DATA_API_KEYS": ""])
        #expect(try await open.wait(timeout: .seconds(60)) != 0)
        #expect(open.standardErrorText.contains("loopback"), "\(open.standardErrorText)")
    }
}
