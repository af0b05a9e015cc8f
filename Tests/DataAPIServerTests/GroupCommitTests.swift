import BSON
import Dispatch
import GRDB
import HummingbirdTesting
import Synchronization
import Testing

@testable import DataAPIServer

/// Group commit in the SQLite backend (``SQLiteGroupCommit``): writes that arrive together share one
/// transaction, each in its own savepoint, and are answered after the COMMIT. Batches are made without timing:
/// the writer is held (a block on its queue) while the actions queue up, counted until all are waiting.
/// Serialized: the first action of a held batch holds its thread (it commits inline) until the writer is free.
@Suite("SQLite group commit", .serialized)
struct GroupCommitTests {
    typealias Client = any TestClientProtocol

    /// Counts the writer's commits, and makes them fail while `refusing` (a COMMIT that SQLite rolls back).
    final class CommitProbe: TransactionObserver, Sendable {
        struct Refused: Error {}
        private let state = Mutex((commits: 0, refusing: false))

        var commits: Int { state.withLock { $0.commits } }
        func refuse(_ refusing: Bool) { state.withLock { $0.refusing = refusing } }

        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseWillCommit() throws { if state.withLock({ $0.refusing }) { throw Refused() } }
        func databaseDidCommit(_ db: Database) { state.withLock { $0.commits += 1 } }
        func databaseDidRollback(_ db: Database) {}
    }

    /// A backend over a fresh file with a ``CommitProbe``, served by a controller.
    func withStore(_ body: @Sendable (SQLiteDocumentBackend, CommitProbe, Client) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let backend = try SQLiteDocumentBackend(path: directory.path + "/test.sqlite")
        let probe = CommitProbe()
        backend.observeTransactions(probe)
        try await ControllerTests.serve(backend) { client in try await body(backend, probe, client) }
    }

    func post(_ client: Client, _ action: String, _ document: Document) async throws -> (Int, Document) {
        let response = try await ControllerTests().post(client, action, document)
        return (Int(response.status.code), try ControllerTests.json(response))
    }

    func ids(_ client: Client) async throws -> [String] {
        let (_, reply) = try await post(client, "find", ["filter": [:], "sort": ["_id": 1]])
        return reply["documents"]?.arrayValue?.compactMap { $0.documentValue?["_id"]?.stringValue } ?? []
    }

    /// Waits for a fact, with a generous deadline.
    func eventually(_ what: Comment, _ fact: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !fact() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting: \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Holds the writer while `requests` are sent one after the other (each waits in the queue before the next
    /// is sent, so the batch keeps this order), then lets it commit them: their answers, in order.
    func oneBatch(
        _ backend: SQLiteDocumentBackend, _ client: Client, _ requests: [(String, Document)]
    ) async throws -> [(Int, Document)] {
        let gate = DispatchSemaphore(value: 0)
        backend.pool.asyncWriteWithoutTransaction { _ in gate.wait() }
        var tasks = [Task<(Int, Document), any Error>]()
        for (index, (action, document)) in requests.enumerated() {
            tasks.append(Task { try await post(client, action, document) })
            try await eventually("request \(index + 1) queued") { backend.commits.waiting == index + 1 }
        }
        gate.signal()
        var answers = [(Int, Document)]()
        for task in tasks { answers.append(try await task.value) }
        return answers
    }

    @Test("200 concurrent writers all get their answers, and every row and increment is stored")
    func concurrentWriters() async throws {
        try await withStore { backend, probe, client in
            _ = try await post(client, "insertOne", ["document": ["_id": "counter", "n": 0]])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        let (status, reply) = try await post(
                            client, "insertOne", ["document": ["_id": .string("w\(i)"), "i": .int32(Int32(i))]])
                        #expect(status == 200)
                        #expect(reply["insertedId"] == .string("w\(i)"))
                        let (bumped, counted) = try await post(
                            client, "updateOne", ["filter": ["_id": "counter"], "update": ["$inc": ["n": 1]]])
                        #expect(bumped == 200)
                        #expect(counted["matchedCount"] == .integer(1) && counted["modifiedCount"] == .integer(1))
                    }
                }
                try await group.waitForAll()
            }
            let stored = try await ids(client)
            #expect(Set(stored) == Set((0..<200).map { "w\($0)" } + ["counter"]))
            let (_, counter) = try await post(client, "findOne", ["filter": ["_id": "counter"]])
            #expect(counter["document"]?.documentValue?["n"]?.int64Value == 200)
            let settings = try await backend.durabilitySettings()
            #expect(settings.journalMode == "wal" && settings.synchronous == 1, "still WAL with synchronous=NORMAL")
        }
    }

    @Test("in one batch, the actions that fail get their own errors and the others commit")
    func failuresInABatch() async throws {
        try await withStore { backend, probe, client in
            _ = try await post(client, "insertOne", ["document": ["_id": "x", "n": 1]])
            let before = probe.commits
            let answers = try await oneBatch(
                backend, client,
                [
                    ("insertOne", ["document": ["_id": "a"]]),
                    ("insertOne", ["document": ["_id": "x"]]),
                    ("insertMany", ["documents": [["_id": "c"], ["_id": "x"], ["_id": "d"]]]),
                    ("insertOne", ["document": ["_id": "e"]]),
                    ("insertOne", ["document": ["_id": "e"]]),
                    // No match, so the upsert inserts _id x: a duplicate thrown inside the action.
                    ("updateOne", ["filter": ["_id": "x", "n": 5], "update": ["$set": ["m": 1]], "upsert": true]),
                    ("updateOne", ["filter": ["_id": "x"], "update": ["$set": ["n": 2]]]),
                    ("deleteOne", ["filter": ["_id": "a"]]),
                ])
            #expect(probe.commits == before + 1, "the eight actions committed as one transaction")
            #expect(answers.map(\.0) == [200, 409, 409, 200, 409, 409, 200, 200])
            #expect(answers[0].1["insertedId"] == "a")
            for failed in [1, 2, 4, 5] {
                #expect(answers[failed].1["error_code"] == "DuplicateKey")
                #expect(answers[failed].1["error"]?.stringValue?.hasPrefix("E11000 duplicate key error") == true)
            }
            #expect(answers[6].1["modifiedCount"] == .integer(1))
            #expect(answers[7].1["deletedCount"] == .integer(1))
            // The ordered insertMany keeps c (before the duplicate), like MongoDB; the refused upsert wrote no m.
            #expect(try await ids(client) == ["c", "e", "x"])
            let (_, x) = try await post(client, "findOne", ["filter": ["_id": "x"]])
            #expect(x["document"] == .document(["_id": "x", "n": 2]))
        }
    }

    @Test("two compare-and-set updates of one document in one batch: exactly one wins")
    func compareAndSetRace() async throws {
        try await withStore { backend, _, client in
            _ = try await post(client, "insertOne", ["document": ["_id": "CP-1", "owner": .null]])
            let claim = { (owner: String) -> (String, Document) in
                (
                    "updateOne",
                    ["filter": ["_id": "CP-1", "owner": .null], "update": ["$set": ["owner": .string(owner)]]]
                )
            }
            let answers = try await oneBatch(backend, client, [claim("A"), claim("B")])
            #expect(answers.map(\.0) == [200, 200])
            #expect(
                answers.map { $0.1["matchedCount"] } == [.integer(1), .integer(0)], "the first in arrival order wins")
            let (_, point) = try await post(client, "findOne", ["filter": ["_id": "CP-1"]])
            #expect(point["document"]?.documentValue?["owner"] == "A")
        }
    }

    @Test("a failed COMMIT answers every action of the batch with a 500 and writes nothing")
    func failedCommit() async throws {
        try await withStore { backend, probe, client in
            _ = try await post(client, "insertOne", ["document": ["_id": "keep", "n": 1]])
            probe.refuse(true)
            let answers = try await oneBatch(
                backend, client,
                [
                    ("insertOne", ["document": ["_id": "new"]]),
                    ("updateOne", ["filter": ["_id": "keep"], "update": ["$set": ["n": 2]]]),
                    ("deleteOne", ["filter": ["_id": "keep"]]),
                ])
            let alone = try await post(client, "insertOne", ["document": ["_id": "alone"]])
            probe.refuse(false)
            for (status, reply) in answers + [alone] {
                #expect(status == 500)
                #expect(reply.keys.sorted() == ["error", "error_code"])
                #expect(reply["error_code"] == "InternalServerError")
                #expect(reply["error"] == "the embedded database could not commit the write; nothing was written")
            }
            let (_, kept) = try await post(client, "find", ["filter": [:]])
            #expect(kept["documents"] == [["_id": "keep", "n": 1]], "nothing of the failed batches was written")
            let (status, _) = try await post(client, "insertOne", ["document": ["_id": "after"]])
            #expect(status == 200)
            #expect(try await ids(client) == ["after", "keep"])
        }
    }
}
