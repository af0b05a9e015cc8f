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

    /// The 24 hex digits.
    public var description: String { hex }

    /// Byte-wise order: by creation second first.
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
