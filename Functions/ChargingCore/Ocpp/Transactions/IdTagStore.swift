/// The authorization status of an idTag (OCPP 1.6 `AuthorizationStatus`).
public enum IdTagStatus: String, Sendable, Hashable, CaseIterable {
    case accepted = "Accepted"
    case blocked = "Blocked"
    case expired = "Expired"
    case invalid = "Invalid"
    case concurrentTx = "ConcurrentTx"
}

/// One idTag of the `IdTags` collection: whose it is and whether it may charge.
public struct IdTagRecord: Sendable, Hashable {
    /// The token (CiString20), as given.
    public var idTag: String
    /// The user it belongs to (the JWT `sub` of the driver).
    public var userId: String
    /// Never ``IdTagStatus/concurrentTx`` in the store (that one is computed per transaction).
    public var status: IdTagStatus
    /// When it expires (ms since the epoch); nil = never.
    public var expiryDate: Int64?
    /// When it was last written (ms since the epoch).
    public var updatedAt: Int64

    public init(idTag: String, userId: String, status: IdTagStatus, expiryDate: Int64? = nil, updatedAt: Int64) {
        self.idTag = idTag
        self.userId = userId
        self.status = status
        self.expiryDate = expiryDate
        self.updatedAt = updatedAt
    }
}

/// Where idTags live (operators write them through `PUT /idtags/{idTag}`).
public protocol IdTagStore: Sendable {
    /// The record of `idTag`, or nil when it is unknown.
    func idTag(_ idTag: String) async throws -> IdTagRecord?
    /// Stores `record` (replacing the tag's previous one); true when the tag was new.
    func put(_ record: IdTagRecord) async throws -> Bool
    /// An Accepted, unexpired idTag of `userId` at `now`, for a remote start; nil when the user has none.
    func acceptedIdTag(userId: String, now: Int64) async throws -> IdTagRecord?
}

/// Hands out the integer `transactionId`s of OCPP transactions, unique across the system.
public protocol TransactionIdAllocator: Sendable {
    /// A new transaction id, recorded with the session it belongs to.
    func allocate(chargePointId: String, connectorId: Int, sessionId: String, at: Int64) async throws -> Int64
}

extension IdTagRecord {
    /// The status in force at `now` (ms): `Expired` once `expiryDate` has passed, else the stored one.
    public func status(at now: Int64) -> IdTagStatus {
        if let expiryDate, expiryDate <= now, status == .accepted { return .expired }
        return status
    }

    /// True when the tag may charge at `now`: Accepted and not expired.
    public func isValid(at now: Int64) -> Bool { status(at: now) == .accepted }
}
