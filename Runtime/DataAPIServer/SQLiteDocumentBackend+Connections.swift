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

    /// Runs `body` in a write transaction on the pool's writer, on the calling thread.
    ///
    /// The writer stays serialized (its queue is a lock here too), so every write is still one transaction
    /// and a filtered update still an atomic compare-and-set; only the hop to the writer's dispatch queue and
    /// back is gone. A caller waits for the write in progress, as its task waited before.
    func writeHere<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.write(body)
    }

    /// Readers in the pool: GRDB's default, or one more than the cores (the threads Swift concurrency and the
    /// event loops run on), whichever is larger.
    static func readerCount(_ standard: Int) -> Int {
        max(standard, ProcessInfo.processInfo.activeProcessorCount + 1)
    }
}
