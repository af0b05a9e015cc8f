import Foundation
import GRDB

extension SQLiteDocumentBackend {
    /// Runs `body` in a read transaction on one of the pool's reader connections, on the calling thread.
    ///
    /// GRDB's async `read` hops to the reader's dispatch queue and back: two thread wake-ups around a look-up
    /// that takes microseconds. Its synchronous `read` runs the block on the caller's thread (the reader's
    /// queue is only a lock then). The pool has a reader for every thread that can call (``readerCount(_:)``),
    /// so it does not wait for one, and WAL readers do not wait for the writer.
    func readHere<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// Adds `observer` to the writer for the life of the database (a test seam: an observer that throws from
    /// `databaseWillCommit` makes the next COMMIT fail, and one that counts `databaseDidCommit` counts batches).
    func observeTransactions(_ observer: some TransactionObserver) {
        pool.writeWithoutTransaction { db in db.add(transactionObserver: observer, extent: .databaseLifetime) }
    }

    /// Opens every reader connection of the pool now, before the server serves.
    ///
    /// GRDB opens readers lazily; a reader opened under load, while the writer commits (group commit runs on
    /// the writer's own thread), failed a few times at start with `SQLite error 10: disk I/O error` in GRDB's
    /// open check (`SELECT * FROM sqlite_master LIMIT 1`). Opened here, nothing writes yet. Each of `count`
    /// threads holds a read until all of them have one, so the pool must open `count` connections.
    static func openReaders(_ pool: DatabasePool, count: Int) {
        let opened = DispatchGroup()
        let hold = DispatchSemaphore(value: 0)
        for _ in 0..<count {
            opened.enter()
            DispatchQueue.global().async {
                var entered = false
                _ = try? pool.read { _ in
                    entered = true
                    opened.leave()
                    hold.wait()
                }
                if !entered { opened.leave() }
            }
        }
        opened.wait()
        for _ in 0..<count { hold.signal() }
    }

    /// Readers in the pool: GRDB's default, or one more than the cores (the threads Swift concurrency and the
    /// event loops run on), whichever is larger.
    static func readerCount(_ standard: Int) -> Int {
        max(standard, ProcessInfo.processInfo.activeProcessorCount + 1)
    }
}
