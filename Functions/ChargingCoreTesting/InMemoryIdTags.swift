import ChargingCore

/// An ``IdTagStore`` in memory, with the same semantics as ``DataAPIIdTagStore``; for unit tests.
public actor InMemoryIdTags: IdTagStore {
    private var records: [String: IdTagRecord] = [:]
    /// Number of successful writes, so tests can assert that bad input wrote nothing.
    public private(set) var writeCount = 0

    public init(_ records: [IdTagRecord] = []) {
        for record in records { self.records[record.idTag] = record }
    }

    /// Every stored record, by idTag.
    public var all: [String: IdTagRecord] { records }

    public func idTag(_ idTag: String) -> IdTagRecord? { records[idTag] }

    public func put(_ record: IdTagRecord) -> Bool {
        let created = records[record.idTag] == nil
        records[record.idTag] = record
        writeCount += 1
        return created
    }

    public func acceptedIdTag(userId: String, now: Int64) -> IdTagRecord? {
        records.values.filter { $0.userId == userId && $0.isValid(at: now) }.min { $0.idTag < $1.idTag }
    }
}
