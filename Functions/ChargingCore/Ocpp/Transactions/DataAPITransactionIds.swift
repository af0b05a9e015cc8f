import BSON
import DataAPI
import Logging

/// A ``TransactionIdAllocator`` over the Data API (v1 has no findOneAndUpdate, so no counter): an id drawn at
/// random in `1...Int32.max` is claimed with `insertOne` into `Transactions {_id: <int32>, chargePointId,
/// connectorId, sessionId, createdAt}`; a duplicate key draws again, at most ``attempts`` times. The document is
/// also how ``SessionStore/session(transactionId:)`` finds the session.
public struct DataAPITransactionIds: TransactionIdAllocator {
    /// How many ids are tried before giving up (with 2^31 ids, a second draw is already rare).
    public static let attempts = 8

    private let client: DataAPIClient
    private let logger: Logger
    private let draw: @Sendable () -> Int32

    public init(client: DataAPIClient, logger: Logger) {
        self.init(client: client, logger: logger, draw: { Int32.random(in: 1...Int32.max) })
    }

    /// With a chosen sequence of draws (tests).
    init(client: DataAPIClient, logger: Logger, draw: @escaping @Sendable () -> Int32) {
        self.client = client
        self.logger = logger
        self.draw = draw
    }

    public func allocate(chargePointId: String, connectorId: Int, sessionId: String, at: Int64) async throws -> Int64 {
        try await DataAPISessionStore.available {
            var duplicate: DataAPIError?
            for _ in 0..<Self.attempts {
                let id = draw()
                do {
                    _ = try client.insertOne(
                        DataAPISessionStore.transactionsCollection,
                        document: [
                            "_id": .int32(id), "chargePointId": .string(chargePointId),
                            "connectorId": .int64(Int64(connectorId)), "sessionId": .string(sessionId),
                            "createdAt": .datetime(at),
                        ])
                    return Int64(id)
                } catch let error as DataAPIError where error.code == .duplicateKey {
                    logger.debug("transaction id taken; drawing again", metadata: ["transactionId": "\(id)"])
                    duplicate = error
                }
            }
            throw ChargingError(
                .storeContention, "no free transaction id after \(Self.attempts) attempts", underlying: duplicate)
        }
    }
}
