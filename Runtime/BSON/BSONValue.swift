import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A MongoDB ObjectId: 12 bytes (4-byte seconds, 5 random bytes, 3-byte counter).
public struct ObjectId: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 12 bytes, big-endian as on the wire.
    public let bytes: [UInt8]

    private static let processUnique: [UInt8] = (0..<5).map { _ in UInt8.random(in: 0...255) }
    private static let counter = ObjectIdCounter()

    /// A new id for the current time.
    public init() {
        let seconds = UInt32(truncatingIfNeeded: Int64(Date().timeIntervalSince1970))
        let count = ObjectId.counter.next()
        var b = [UInt8](repeating: 0, count: 12)
        b[0] = UInt8(seconds >> 24)
        b[1] = UInt8((seconds >> 16) & 0xff)
        b[2] = UInt8((seconds >> 8) & 0xff)
        b[3] = UInt8(seconds & 0xff)
        for i in 0..<5 { b[4 + i] = ObjectId.processUnique[i] }
        b[9] = UInt8((count >> 16) & 0xff)
        b[10] = UInt8((count >> 8) & 0xff)
        b[11] = UInt8(count & 0xff)
        bytes = b
    }

    /// Parses 24 hex digits; nil otherwise.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 24 else { return nil }
        var b = [UInt8]()
        b.reserveCapacity(12)
        var i = 0
        while i < 24 {
            guard let hi = ObjectId.nibble(utf8[i]), let lo = ObjectId.nibble(utf8[i + 1]) else { return nil }
            b.append(hi << 4 | lo)
            i += 2
        }
        bytes = b
    }

    /// 24 lower-case hex digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(24)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    public static func < (lhs: ObjectId, rhs: ObjectId) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}

/// The process-wide ObjectId counter (24 bits, random start).
private final class ObjectIdCounter: Sendable {
    private let value = Mutex(UInt32.random(in: 0...0xff_ffff))

    func next() -> UInt32 {
        value.withLock { v in
            v = (v &+ 1) & 0xff_ffff
            return v
        }
    }
}

/// A BSON value, limited to the types evcsm stores and the Data API carries.
public indirect enum BSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int32(Int32)
    case int64(Int64)
    case double(Double)
    case string(String)
    /// A BSON date: milliseconds since the epoch.
    case datetime(Int64)
    case objectId(ObjectId)
    case document(Document)
    case array([BSONValue])

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var documentValue: Document? {
        if case .document(let d) = self { return d }
        return nil
    }

    public var arrayValue: [BSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectIdValue: ObjectId? {
        if case .objectId(let o) = self { return o }
        return nil
    }

    /// Milliseconds since the epoch of a BSON date.
    public var datetimeValue: Int64? {
        if case .datetime(let ms) = self { return ms }
        return nil
    }

    /// An integer: int32, int64, or a double with an integral value in Int64's range.
    public var int64Value: Int64? {
        switch self {
        case .int32(let v): return Int64(v)
        case .int64(let v): return v
        case .double(let d):
            guard d.rounded() == d, d >= -9.2e18, d <= 9.2e18 else { return nil }
            return Int64(d)
        default: return nil
        }
    }

    /// Any number as a Double.
    public var doubleValue: Double? {
        switch self {
        case .int32(let v): return Double(v)
        case .int64(let v): return Double(v)
        case .double(let d): return d
        default: return nil
        }
    }

    public var isNumber: Bool {
        switch self {
        case .int32, .int64, .double: return true
        default: return false
        }
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The smallest integer type that holds `value` (int32 when it fits, int64 otherwise).
    public static func integer(_ value: Int64) -> BSONValue {
        if let small = Int32(exactly: value) { return .int32(small) }
        return .int64(value)
    }

    /// A BSON date from a `Date` (millisecond precision).
    public static func date(_ date: Date) -> BSONValue {
        .datetime(Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }
}

extension BSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: BSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, BSONValue)...) { self = .document(Document(elements)) }
}

/// An ordered BSON document. Key order is kept (it matters for sort specifications and for
/// byte-stable responses); setting an existing key keeps its position, a new key is appended.
public struct Document: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: BSONValue)

    private var storage: [(key: String, value: BSONValue)] = []

    public init() {}

    public init(_ pairs: [(String, BSONValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, BSONValue)...) {
        self.init(elements)
    }

    public var keys: [String] { storage.map(\.key) }
    public var values: [BSONValue] { storage.map(\.value) }
    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    /// The value for a top-level key; assigning nil removes the key.
    public subscript(key: String) -> BSONValue? {
        get { storage.first(where: { $0.key == key })?.value }
        set {
            let index = storage.firstIndex(where: { $0.key == key })
            switch (index, newValue) {
            case (let i?, let v?): storage[i].value = v
            case (let i?, nil): storage.remove(at: i)
            case (nil, let v?): storage.append((key, v))
            case (nil, nil): break
            }
        }
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

    public func makeIterator() -> IndexingIterator<[(key: String, value: BSONValue)]> {
        storage.makeIterator()
    }

    public static func == (lhs: Document, rhs: Document) -> Bool {
        lhs.storage.count == rhs.storage.count
            && zip(lhs.storage, rhs.storage).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.count)
        for (key, value) in storage {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}
