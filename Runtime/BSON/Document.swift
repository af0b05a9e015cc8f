/// An ordered BSON document. Key order is kept (it matters for sort specifications and for
/// byte-stable responses); setting an existing key keeps its position, a new key is appended.
///
/// Entries live in key order in one array. Past 32 keys a document also keeps the
/// position of every key, so lookups, inserts and removals cost O(1) however many keys it has; a
/// removed entry leaves a hole that a compaction closes once holes are half the array. Equality and
/// hashing look at the keys and values in order only, never at that bookkeeping.
public struct Document: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// A key and its value.
    public typealias Element = (key: String, value: BSONValue)

    /// Documents with at most this many keys are searched linearly, which beats hashing for a handful of keys.
    static let indexThreshold = 32

    /// The entries in key order; `nil` is a removed entry of an indexed document, until the next compaction.
    private var slots: [Element?] = []
    /// The slot of every key; `nil` while the document is small (then `slots` has no holes).
    private var positions: [String: Int]?
    /// How many slots are holes.
    private var holes = 0

    /// An empty document.
    public init() {}

    /// A document of `pairs` in order; a repeated key keeps its first position and its last value.
    public init(_ pairs: [(String, BSONValue)]) {
        slots.reserveCapacity(pairs.count)
        for (key, value) in pairs { updateValue(value, forKey: key) }
    }

    /// A document of literal pairs, in order.
    public init(dictionaryLiteral elements: (String, BSONValue)...) {
        self.init(elements)
    }

    /// Makes room for `count` keys without growing again (a parser reserving what objects usually hold).
    public mutating func reserveCapacity(_ count: Int) { slots.reserveCapacity(count) }

    /// The keys in order.
    public var keys: [String] { slots.compactMap { $0?.key } }
    /// The values in key order.
    public var values: [BSONValue] { slots.compactMap { $0?.value } }
    /// The number of keys.
    public var count: Int { slots.count - holes }
    /// Whether the document has no keys.
    public var isEmpty: Bool { count == 0 }
    /// The number of keys (a document's iteration yields exactly that many elements).
    public var underestimatedCount: Int { count }

    /// Whether the document has `key`.
    public func contains(key: String) -> Bool { slot(of: key) != nil }

    /// The value for a top-level key; assigning nil removes the key.
    public subscript(key: String) -> BSONValue? {
        get { slot(of: key).flatMap { slots[$0]?.value } }
        set {
            if let newValue {
                updateValue(newValue, forKey: key)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Sets the value for `key`, in place when the key exists, appended otherwise; returns the old value.
    @discardableResult
    public mutating func updateValue(_ value: BSONValue, forKey key: String) -> BSONValue? {
        guard let i = slot(of: key) else {
            append(key, value)
            return nil
        }
        let old = slots[i]?.value
        slots[i] = (key, value)
        return old
    }

    /// Removes `key`; returns its value, nil when the document did not have it. Other keys keep their order.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> BSONValue? {
        guard let i = slot(of: key) else { return nil }
        let old = slots[i]?.value
        removeSlot(i, key: key)
        return old
    }

    /// Calls `body` with the value for `key` (nil when absent) to change in place, then stores what `body`
    /// left, also when it throws: a value keeps the key's position (or is appended), nil removes the key.
    ///
    /// The value is moved out of the document for the call, so a nested document or array is changed
    /// without copying it.
    public mutating func modifyValue<Result, Failure: Error>(
        forKey key: String, _ body: (inout BSONValue?) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        guard let i = slot(of: key) else {
            var value: BSONValue?
            defer { if let value { append(key, value) } }
            return try body(&value)
        }
        var value = slots[i].take()?.value
        defer {
            if let value {
                slots[i] = (key, value)
            } else {
                removeSlot(i, key: key)
            }
        }
        return try body(&value)
    }

    /// The value at a dotted path (`a.b.0.c`); array elements are addressed by index.
    public func value(atPath path: String) -> BSONValue? {
        var current: BSONValue = .document(self)
        for component in path.split(separator: ".", omittingEmptySubsequences: false) {
            switch current {
            case .document(let d):
                guard let next = d[String(component)] else { return nil }
                current = next
            case .array(let a):
                guard let i = Int(component), i >= 0, i < a.count else { return nil }
                current = a[i]
            default:
                return nil
            }
        }
        return current
    }

    /// Iterates the keys and values in order.
    public func makeIterator() -> Iterator {
        Iterator(base: slots.makeIterator())
    }

    /// The iterator of a document's entries, in key order.
    public struct Iterator: IteratorProtocol {
        fileprivate var base: IndexingIterator<[Element?]>

        /// The next key and value, nil at the end.
        public mutating func next() -> Element? {
            while let slot = base.next() {
                if let slot { return slot }
            }
            return nil
        }
    }

    /// Same keys with equal values in the same order.
    public static func == (lhs: Document, rhs: Document) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs) { $0.key == $1.key && $0.value == $1.value }
    }

    /// Hashes the keys and values in order.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for (key, value) in self {
            hasher.combine(key)
            hasher.combine(value)
        }
    }

    // MARK: - Storage

    private func slot(of key: String) -> Int? {
        if let positions { return positions[key] }
        // No holes without an index; comparing `String?` would be much slower than `String`.
        return slots.firstIndex { $0!.key == key }
    }

    /// Appends a key the document does not have.
    private mutating func append(_ key: String, _ value: BSONValue) {
        slots.append((key, value))
        if positions != nil {
            positions![key] = slots.count - 1
        } else if slots.count > Self.indexThreshold {
            rebuildPositions()
        }
    }

    private mutating func removeSlot(_ i: Int, key: String) {
        guard positions != nil else {
            slots.remove(at: i)
            return
        }
        slots[i] = nil
        positions!.removeValue(forKey: key)
        holes += 1
        if holes * 2 > slots.count { compact() }
    }

    /// Closes the holes; a document that is small again goes back to linear search.
    private mutating func compact() {
        slots.removeAll { $0 == nil }
        holes = 0
        if slots.count > Self.indexThreshold {
            rebuildPositions()
        } else {
            positions = nil
        }
    }

    private mutating func rebuildPositions() {
        var index = [String: Int](minimumCapacity: slots.count * 2)
        for (i, slot) in slots.enumerated() {
            if let slot { index[slot.key] = i }
        }
        positions = index
    }
}
