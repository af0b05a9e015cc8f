import BSON
import GRDB

extension SQLiteDocumentBackend {
    /// The whole sequence is one action of the group commit (one transaction, answered after its COMMIT); each
    /// operation runs in its own savepoint, so one that fails rolls back only itself and the ones before it stay
    /// written, as with MongoDB's ordered bulk writes. A failure of the database itself (not a ``DataAPIError``)
    /// fails the request, and then nothing of it is written.
    public func bulkWrite(_ command: BulkWriteCommand) async throws -> BulkWriteResult {
        let now = Self.nowMilliseconds()
        let documents = command.operations.count
        return try await database {
            try await commits.write(documents: documents) { db in
                var outcome = BulkWriteResult()
                for (index, operation) in command.operations.enumerated() {
                    var result: BulkWriteItemResult?
                    do {
                        try db.inSavepoint {
                            switch operation {
                            case .insertOne(let insert):
                                result = .inserted(id: try Self.insert(db, insert).get().first ?? .null)
                            case .updateOne(let update, _):
                                result = .updated(try Self.update(db, update, now: now))
                            }
                            return .commit
                        }
                    } catch let error as DataAPIError {
                        outcome.writeError = BulkWriteError(index: index, error: error)
                        break
                    }
                    guard let result else { break }
                    outcome.results.append(result)
                    if operation.stops(after: result) { break }
                }
                return outcome
            }
        }
    }
}
