import BSON
import DataAPI
import DataAPIServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// Runs the JSON conformance cases of `Tests/Fixtures/dataapi` through the HTTP endpoint of a
/// ``DataAPIController`` over any backend. The fixture format is described in that folder's README.
struct ConformanceRunner {
    static let apiKey = "conformance-key"

    /// Which deviations apply: the mongoeco stand-in's overrides are used only when it is the server.
    enum Target: String {
        case sqlite, mongoStandIn = "mongoeco", mongod
    }

    let target: Target
    /// A fresh database per run, so a real mongod can run the suite repeatedly.
    let database = "conformance_\(UInt32.random(in: 0...UInt32.max))"

    /// Every fixture file, sorted by name.
    static func fixtures() throws -> [(name: String, fixture: Document)] {
        let directory = repositoryRoot.appendingPathComponent("Tests/Fixtures/dataapi")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let bytes = try Data(contentsOf: directory.appendingPathComponent(name))
            return (name, try ExtendedJSON.parseDocument([UInt8](bytes)))
        }
    }

    static var repositoryRoot: URL {
        if let root = ProcessInfo.processInfo.environment["EVCSM_ROOT"], !root.isEmpty {
            return URL(fileURLWithPath: root)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// Runs every fixture against `backend`; records one issue per failing step. Returns the number
    /// of steps run.
    @discardableResult
    func runAll(backend: any DocumentBackend) async throws -> Int {
        let router = Router()
        DataAPIController<BasicRequestContext>(
            backend: backend, apiKeys: [Self.apiKey], logger: Logger(label: "conformance")
        ).addRoutes(to: router.group())
        let app = Application(router: router)
        let fixtures = try Self.fixtures()
        #expect(fixtures.count >= 8, "conformance fixtures missing")
        return try await app.test(.router) { client in
            var total = 0
            for (name, fixture) in fixtures {
                total += try await run(fixture, named: name, client: client)
            }
            return total
        }
    }

    private func run(_ fixture: Document, named name: String, client: some TestClientProtocol) async throws -> Int {
        guard let collection = fixture["collection"]?.stringValue, case .array(let steps)? = fixture["steps"] else {
            Issue.record("\(name): needs collection and steps")
            return 0
        }
        var count = 0
        for case .document(var step) in steps {
            let label = "\(target.rawValue) \(name) — \(step["name"]?.stringValue ?? "?")"
            if target == .mongoStandIn, case .document(let deviation)? = step["mongoeco"] {
                // Documented deviation of the stand-in (reason in the fixture); never used for SQLite or mongod.
                if deviation["skip"]?.boolValue == true { continue }
                for (key, value) in deviation where key != "reason" { step[key] = value }
            }
            count += 1
            if let n = step["concurrency"]?.int64Value {
                try await runConcurrent(step, times: Int(n), collection: collection, label: label, client: client)
            } else {
                let (status, body) = try await send(step, index: nil, collection: collection, client: client)
                check(step, status: status, body: body, label: label)
            }
        }
        return count
    }

    // MARK: Sending

    private func send(
        _ step: Document, index: Int?, collection: String, client: some TestClientProtocol
    )
        async throws -> (Int, BSONValue?)
    {
        let action = step["action"]?.stringValue ?? ""
        let relaxed = step["format"]?.stringValue == "json"
        let mediaType = relaxed ? "application/json" : "application/ejson"
        var bytes: [UInt8]
        if let raw = step["rawBody"]?.stringValue {
            bytes = Array(raw.utf8)
        } else {
            var request = step["request"]?.documentValue ?? Document()
            if request["dataSource"] == nil { request["dataSource"] = "mongodb-atlas" }
            if request["database"] == nil { request["database"] = .string(database) }
            if request["collection"] == nil { request["collection"] = .string(collection) }
            var text = ExtendedJSON.serialize(request, mode: relaxed ? .relaxed : .canonical)
            if let index { text = text.replacingOccurrences(of: "{{i}}", with: String(index)) }
            bytes = Array(text.utf8)
        }
        let response = try await client.executeRequest(
            uri: "/action/\(action)", method: .post,
            headers: [.contentType: mediaType, .accept: mediaType, .init("apiKey")!: Self.apiKey],
            body: ByteBuffer(bytes: bytes))
        let body = try? ExtendedJSON.parse(response.body.readableBytesView)
        return (response.status.code, body)
    }

    private func runConcurrent(
        _ step: Document, times: Int, collection: String, label: String, client: some TestClientProtocol
    ) async throws {
        let results = try await withThrowingTaskGroup(of: (Int, BSONValue?).self) { group in
            for i in 0..<times {
                group.addTask { try await send(step, index: i, collection: collection, client: client) }
            }
            var all = [(Int, BSONValue?)]()
            for try await result in group { all.append(result) }
            return all
        }
        guard case .array(let outcomes)? = step["outcomes"] else {
            Issue.record("\(label): a concurrent step needs outcomes")
            return
        }
        var tally = [Int](repeating: 0, count: outcomes.count)
        for (status, body) in results {
            let index = outcomes.firstIndex { outcome in
                guard case .document(let expected) = outcome else { return false }
                return failure(expected, status: status, body: body) == nil
            }
            guard let index else {
                Issue.record(
                    "\(label): unexpected answer \(status) \(body.map { ExtendedJSON.serialize($0, mode: .relaxed) } ?? "-")"
                )
                continue
            }
            tally[index] += 1
        }
        for (i, outcome) in outcomes.enumerated() {
            let expected = Int(outcome.documentValue?["count"]?.int64Value ?? -1)
            #expect(tally[i] == expected, "\(label): outcome \(i) happened \(tally[i]) times, expected \(expected)")
        }
    }

    // MARK: Checking

    private func check(_ step: Document, status: Int, body: BSONValue?, label: String) {
        if let problem = failure(step, status: status, body: body) {
            Issue.record(
                "\(label): \(problem); got \(status) \(body.map { ExtendedJSON.serialize($0, mode: .canonical) } ?? "<not JSON>")"
            )
        }
    }

    /// Why an answer does not meet the expectation, or nil when it does.
    private func failure(_ expected: Document, status: Int, body: BSONValue?) -> String? {
        let wantStatus = Int(expected["status"]?.int64Value ?? 200)
        if status != wantStatus { return "status \(status), expected \(wantStatus)" }
        guard case .document(let reply)? = body else { return "body is not a JSON object" }
        if let code = expected["errorCode"]?.stringValue {
            guard reply["error_code"]?.stringValue == code else { return "error_code is not \(code)" }
            guard reply["error"]?.stringValue != nil else { return "no error message" }
            if let part = expected["errorContains"]?.stringValue, !(reply["error"]?.stringValue ?? "").contains(part) {
                return "error message does not contain \"\(part)\""
            }
        }
        if let want = expected["response"] {
            let unordered = expected["unordered"]?.boolValue == true
            if !Self.matches(want, .document(reply), unordered: unordered) {
                return "response differs from \(ExtendedJSON.serialize(want, mode: .canonical))"
            }
        }
        return nil
    }

    /// Exact match (types and key order) with the placeholders `<<objectId>>`, `<<date>>`, `<<any>>`.
    static func matches(_ expected: BSONValue, _ actual: BSONValue?, unordered: Bool = false) -> Bool {
        switch expected {
        case .string("<<any>>"): return actual != nil
        case .string("<<objectId>>"): return actual?.objectIdValue != nil
        case .string("<<date>>"): return actual?.datetimeValue != nil
        case .document(let want):
            guard case .document(let got)? = actual, want.keys == got.keys else { return false }
            return want.allSatisfy { key, value in
                matches(value, got[key], unordered: unordered && key == "documents")
            }
        case .array(let want):
            guard case .array(let got)? = actual, want.count == got.count else { return false }
            if !unordered { return zip(want, got).allSatisfy { matches($0, $1) } }
            var remaining = got
            for item in want {
                guard let i = remaining.firstIndex(where: { matches(item, $0) }) else { return false }
                remaining.remove(at: i)
            }
            return true
        case .double(let want):
            guard case .double(let got)? = actual else { return false }
            return want == got || (want.isNaN && got.isNaN)
        default:
            return actual == expected
        }
    }
}
