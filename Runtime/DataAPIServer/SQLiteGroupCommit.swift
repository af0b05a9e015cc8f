import BSON
import GRDB
import Synchronization

/// Group commit for the embedded store's writes: write actions that arrive while a commit is in progress wait
/// in a queue, and the writer then runs them, in arrival order, in one transaction, each in its own
/// `SAVEPOINT`, and commits once.
///
/// An action that fails (a duplicate key, a refused update) rolls back only its own savepoint and gets its own
/// error, as when it ran alone. Nobody is answered before the COMMIT: an acknowledged write is a committed one,
/// so what it survives is what a single transaction survives. A COMMIT that fails fails every action of its
/// batch with a 500 (or the 503 of a database that stayed busy), and nothing of the batch is written. A write
/// that arrives while the writer is idle starts at once: no timer, no added latency. A batch is bounded
/// (``maxActions`` actions, ``maxDocuments`` documents; a larger `insertMany` runs alone).
///
/// The first action to find the writer idle commits its batch on its own thread; the batches that queued up
/// meanwhile run on the pool's writer queue (GRDB's serialized writer), off the event loops, which keep
/// serving reads while they commit; reads stay on the pool's WAL reader connections.
final class SQLiteGroupCommit: Sendable {
    /// The most actions in one transaction.
    static let maxActions = 64
    /// The most documents the actions of one transaction insert (a larger action still runs, alone).
    static let maxDocuments = 1_000

    /// One action waiting for the writer.
    private struct Pending: Sendable {
        /// What the action weighs against ``maxDocuments``.
        let documents: Int
        /// Runs the action in its savepoint; returns the step that answers its caller once the COMMIT
        /// succeeded, and whether the action failed (its savepoint was rolled back).
        let run: @Sendable (Database) -> (answer: @Sendable () -> Void, failed: Bool)
        /// Answers the caller with the batch's failure instead.
        let fail: @Sendable (any Error) -> Void
    }

    private struct Queue {
        var pending = [Pending]()
        /// True while the writer drains the queue (a new action then only joins it).
        var draining = false
    }

    private let pool: DatabasePool
    private let queue = Mutex(Queue())

    init(pool: DatabasePool) {
        self.pool = pool
    }

    /// How many actions wait for the writer (not counting the batch it runs).
    var waiting: Int { queue.withLock { $0.pending.count } }

    /// Runs `body` in a savepoint of the next batch's transaction and returns its result once that
    /// transaction committed; a thrown error rolls back only `body`'s changes and is rethrown.
    /// - Parameter documents: the documents `body` inserts (1 for an update or a delete).
    func write<T: Sendable>(documents: Int = 1, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let pending = Pending(
                documents: documents,
                run: { db in
                    let result: Result<T, any Error>
                    do {
                        var value: T?
                        try db.inSavepoint {
                            value = try body(db)
                            return .commit
                        }
                        result = .success(value!)
                    } catch {
                        result = .failure(error)
                    }
                    let failed = if case .failure = result { true } else { false }
                    return ({ continuation.resume(with: result) }, failed)
                },
                fail: { error in continuation.resume(throwing: error) })
            submit(pending)
        }
    }

    private func submit(_ pending: Pending) {
        let start = queue.withLock { queue in
            queue.pending.append(pending)
            guard !queue.draining else { return false }
            queue.draining = true
            return true
        }
        guard start else { return }
        // The writer was idle: this action's batch commits here, on the caller's thread (as a lone write did
        // before group commit: no hop to the writer's thread and back). What arrived meanwhile is drained on
        // the writer's queue, so the caller's event loop is held for one batch at most.
        pool.writeWithoutTransaction { db in
            if let batch = nextBatch() { commit(batch, db) }
        }
        let more = queue.withLock { queue in
            if queue.pending.isEmpty { queue.draining = false }
            return queue.draining
        }
        if more { pool.asyncWriteWithoutTransaction { db in self.drain(db) } }
    }

    /// Commits batches until the queue is empty.
    private func drain(_ db: Database) {
        while let batch = nextBatch() { commit(batch, db) }
    }

    /// The oldest waiting actions, within the bounds; nil (and the writer idle) when none wait.
    private func nextBatch() -> [Pending]? {
        queue.withLock { queue in
            guard !queue.pending.isEmpty else {
                queue.draining = false
                return nil
            }
            var (count, documents) = (0, 0)
            while count < min(queue.pending.count, Self.maxActions) {
                let next = queue.pending[count].documents
                if count > 0 && documents + next > Self.maxDocuments { break }
                (count, documents) = (count + 1, documents + next)
            }
            let batch = Array(queue.pending.prefix(count))
            queue.pending.removeFirst(count)
            return batch
        }
    }

    private func commit(_ batch: [Pending], _ db: Database) {
        var answers = [@Sendable () -> Void]()
        answers.reserveCapacity(batch.count)
        do {
            try db.inTransaction(.immediate) {
                for action in batch {
                    let (answer, failed) = action.run(db)
                    // SQLite rolls the whole transaction back on some failures (a full disk, an I/O error):
                    // the actions before it are lost too, so the batch fails as one.
                    if failed && !db.isInsideTransaction {
                        throw DataAPIError(.backendFailure, "the embedded database rolled the write back")
                    }
                    answers.append(answer)
                }
                return .commit
            }
        } catch {
            let failure = Self.batchFailure(error)
            for action in batch { action.fail(failure) }
            return
        }
        for answer in answers { answer() }
    }

    /// A busy database stays a 503 (the backend's mapping); any other failure of the transaction is a 500
    /// that says nothing was written.
    private static func batchFailure(_ error: any Error) -> any Error {
        if let error = error as? DatabaseError, [.SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode) {
            return error
        }
        if let error = error as? DataAPIError { return error }
        return DataAPIError(
            .backendFailure, "the embedded database could not commit the write; nothing was written",
            underlying: error)
    }
}
