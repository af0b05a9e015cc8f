import ChargingCore

/// A ``TransactionIdAllocator`` in memory: ids 1, 2, 3, … (or from `first`), each recorded with its session.
public actor InMemoryTransactionIds: TransactionIdAllocator {
    /// One allocated id and what it was allocated for.
    public struct Allocation: Sendable, Hashable {
        public var transactionId: Int64
        public var chargePointId: String
        public var connectorId: Int
        public var sessionId: String
        public var at: Int64
    }

    private var next: Int64
    /// Every allocation, in order.
    public private(set) var allocations: [Allocation] = []

    public init(first: Int64 = 1) { next = first }

    public func allocate(chargePointId: String, connectorId: Int, sessionId: String, at: Int64) -> Int64 {
        let id = next
        next += 1
        allocations.append(
            Allocation(
                transactionId: id, chargePointId: chargePointId, connectorId: connectorId, sessionId: sessionId, at: at)
        )
        return id
    }
}
