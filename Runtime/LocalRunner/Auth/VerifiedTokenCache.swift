import Synchronization

/// Tokens the JWT authorizer has verified, by their exact `Authorization` header value, so that a client sending
/// the same token again costs a dictionary look-up instead of a signature check and two JSON parses.
///
/// - Only tokens that passed every check are stored; a refused token never is, and a tampered token (same claims,
///   another signature) is another header value, so it is verified (and refused) on its own.
/// - An entry keeps the token's `exp`, `nbf` and `iat`: the authorizer checks them against its clock on every
///   request and drops an entry that no longer passes.
/// - Entries belong to one key-set generation (the authorizer bumps it whenever its verifier changes: keys
///   loaded, re-fetched, issuer set): a look-up with another generation finds nothing, and the first entry of a
///   newer generation empties the cache. An entry verified with a generation already replaced is not stored.
/// - At most ``capacity`` entries: when full, the oldest inserted entry makes room.
final class VerifiedTokenCache: Sendable {
    /// A verified token and the time window it is valid in.
    struct Entry: Sendable {
        let token: VerifiedToken
        let validity: JWTVerifier.Validity
    }

    struct Storage {
        var generation: UInt64 = 0
        var entries: [String: Entry] = [:]
        /// Header values in insertion order, a ring: once full, the slot at `next` is the oldest.
        var order: [String] = []
        var next = 0
    }

    let capacity: Int
    private let storage = Mutex(Storage())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The number of entries held.
    var count: Int { storage.withLock { $0.entries.count } }

    /// The entry for `authorization` verified under `generation`, if any.
    func entry(for authorization: String, generation: UInt64) -> Entry? {
        storage.withLock { storage in
            storage.generation == generation ? storage.entries[authorization] : nil
        }
    }

    /// Stores a token verified under `generation` (ignored when the cache holds a newer generation already).
    func insert(_ entry: Entry, for authorization: String, generation: UInt64) {
        storage.withLock { storage in
            if storage.generation != generation {
                guard generation > storage.generation else { return }
                storage = Storage(generation: generation)
            }
            guard storage.entries.updateValue(entry, forKey: authorization) == nil else { return }
            if storage.order.count < capacity {
                storage.order.append(authorization)
            } else {
                storage.entries[storage.order[storage.next]] = nil
                storage.order[storage.next] = authorization
                storage.next = (storage.next + 1) % capacity
            }
        }
    }

    /// Drops the entry for `authorization` (a cached token that has expired).
    func remove(_ authorization: String) {
        _ = storage.withLock { $0.entries.removeValue(forKey: authorization) }
    }
}
