import Synchronization

/// connectionId → the connected charger, in process memory for ``ttlMilliseconds`` (a connectionId is never
/// reused, so an entry can only go stale by the charger's registration changing), so that a MeterValues flood
/// costs no lookups. Shared by the invocations of one function process.
public final class OcppPeerCache: Sendable {
    /// How long an entry is used.
    public static let ttlMilliseconds: Int64 = 60_000
    /// Entries kept at most; expired ones are dropped when it is reached.
    public static let capacity = 10_000

    private struct Entry {
        let peer: OcppPeer
        let storedAt: Int64
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// The cached peer of `connectionId`, when stored less than ``ttlMilliseconds`` before `now`.
    public func peer(connectionId: String, now: Int64) -> OcppPeer? {
        entries.withLock { entries in
            guard let entry = entries[connectionId] else { return nil }
            guard now - entry.storedAt < Self.ttlMilliseconds else {
                entries[connectionId] = nil
                return nil
            }
            return entry.peer
        }
    }

    /// Remembers `peer` from `now`.
    public func store(_ peer: OcppPeer, now: Int64) {
        entries.withLock { entries in
            if entries.count >= Self.capacity {
                entries = entries.filter { now - $0.value.storedAt < Self.ttlMilliseconds }
                if entries.count >= Self.capacity { entries.removeAll() }
            }
            entries[peer.connectionId] = Entry(peer: peer, storedAt: now)
        }
    }
}
