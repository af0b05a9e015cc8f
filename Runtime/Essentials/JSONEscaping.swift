/// Writing a JSON string's contents: `"`, `\` and the control characters escaped (`\" \\ \b \f \n \r \t`, the
/// others as `\u00xx`), every other byte (UTF-8 included) as it is. The one escaper of the project's JSON writers
/// (the function runtime's ``JSONBytesWriter``-style output, Extended JSON, OCPP frames).
///
/// Eight bytes are tested at a time (``specials(_:)``): a string without anything to escape is one count pass and
/// one copy; a string with escapes is counted, sized once and written with the plain runs between escapes copied
/// a word at a time.
public enum JSONEscaping {
    /// The high bit of each byte of `word` (memory order) set where the byte is `"`, `\` or below 0x20, the other
    /// bits clear. Exact per byte: no carry crosses from one byte into the next.
    @inlinable @inline(__always)
    static func specials(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        return controls(word) | zeroBytes(word ^ (0x22 &* ones)) | zeroBytes(word ^ (0x5C &* ones))
    }

    /// The high bit of each byte of `word` set where the byte is 0.
    @inlinable @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((word & low7) &+ low7) | word | low7)
    }

    /// The 8 bytes at `pointer`, in memory order from the low byte.
    @inlinable @inline(__always)
    static func word(_ pointer: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self))
    }

    /// Whether `byte` is written escaped.
    @inlinable @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// The index of the first byte of `buffer` at or after `start` that is `"`, `\` or a control character
    /// (`buffer.count` when there is none), and whether the bytes before it are all ASCII.
    @inlinable
    public static func plainRun(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> (end: Int, isASCII: Bool) {
        guard let base = buffer.baseAddress else { return (start, true) }
        let high: UInt64 = 0x8080_8080_8080_8080
        var i = start
        var nonASCII: UInt64 = 0
        while i &+ 8 <= buffer.count {
            let word = word(base + i)
            let mask = specials(word)
            if mask != 0 {
                let plain = mask.trailingZeroBitCount &>> 3
                // Only the bytes before the special one are the run's.
                nonASCII |= word & ((1 &<< UInt64(8 &* plain)) &- 1) & high
                return (i &+ plain, nonASCII == 0)
            }
            nonASCII |= word & high
            i &+= 8
        }
        var tail: UInt8 = 0
        while i < buffer.count, !needsEscape(base[i]) {
            tail |= base[i]
            i &+= 1
        }
        return (i, nonASCII == 0 && tail < 0x80)
    }

    /// Appends `text` to `out`, escaped.
    @inlinable
    public static func append(_ text: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let first = plainRun(text, from: 0).end
        if first == text.count {
            out.append(contentsOf: text)
        } else {
            appendEscaped(text, from: first, to: &out)
        }
    }

    /// ``append(_:to:)`` of a text whose first byte to escape is at `first`.
    @usableFromInline
    static func appendEscaped(_ text: UnsafeBufferPointer<UInt8>, from first: Int, to out: inout [UInt8]) {
        let start = out.count
        let reserved = text.count + extraLength(text, from: first) + 8
        out.append(contentsOf: repeatElement(0, count: reserved))
        let written = out.withUnsafeMutableBufferPointer { buffer in write(text, to: buffer.baseAddress! + start) }
        out.removeLast(reserved - written)
    }

    /// The room ``write(_:to:)`` needs for `text`: its escaped length at most, and 8 bytes of slack (a plain run
    /// is copied a whole word at a time, past where the next escape goes).
    public static func writeCapacity(_ text: UnsafeBufferPointer<UInt8>) -> Int {
        let first = plainRun(text, from: 0).end
        return text.count &+ 8 &+ (first == text.count ? 0 : extraLength(text, from: first))
    }

    /// How many bytes escaping adds from `start` on: 1 for each byte to escape, 4 more for each control character
    /// (an upper bound: `\b \f \n \r \t` need only the 1).
    private static func extraLength(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let base = text.baseAddress!
        var extra = 0
        var i = start
        while i + 8 <= text.count {
            let word = word(base + i)
            let mask = specials(word)
            if mask != 0 { extra &+= flagged(mask) &+ 4 &* flagged(controls(word)) }
            i += 8
        }
        while i < text.count {
            let byte = base[i]
            if needsEscape(byte) { extra &+= byte < 0x20 ? 5 : 1 }
            i += 1
        }
        return extra
    }

    /// The high bit of each byte of `word` set where the byte is below 0x20: a byte's high bit of
    /// `(b & 0x7F) + 0x60 | b` is set exactly when b >= 0x20.
    @inlinable @inline(__always)
    static func controls(_ word: UInt64) -> UInt64 {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((word & low7) &+ 0x6060_6060_6060_6060) | word) & 0x8080_8080_8080_8080
    }

    /// How many bytes of a ``specials(_:)``-style mask are flagged (a multiply adds the eight flags up; no
    /// `popcnt`, which the baseline x86-64 target lacks).
    @inline(__always)
    private static func flagged(_ mask: UInt64) -> Int {
        Int(truncatingIfNeeded: ((mask >> 7) &* 0x0101_0101_0101_0101) >> 56)
    }

    /// Writes `text` escaped at `out`, which has ``writeCapacity(_:)`` bytes of room; returns the number written.
    public static func write(_ text: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        guard let source = text.baseAddress else { return 0 }
        let count = text.count
        var i = 0
        var o = 0
        while i + 8 <= count {
            let word = word(source + i)
            var mask = specials(word)
            // Each plain run of the word is stored as the whole rest of the word, the escape then written over
            // what follows the run.
            var from = 0
            while mask != 0 {
                let at = mask.trailingZeroBitCount &>> 3
                UnsafeMutableRawPointer(out + o).storeBytes(
                    of: (word &>> UInt64(8 &* from)).littleEndian, as: UInt64.self)
                o &+= at &- from
                let byte = source[i &+ at]
                if byte >= 0x20 {
                    // `\"` or `\\`, one store.
                    UnsafeMutableRawPointer(out + o).storeBytes(
                        of: (UInt16(byte) &<< 8 | UInt16(UInt8(ascii: "\\"))).littleEndian, as: UInt16.self)
                    o &+= 2
                } else {
                    o &+= escape(byte, to: out + o)
                }
                from = at &+ 1
                mask &= mask &- 1
            }
            if from < 8 {
                UnsafeMutableRawPointer(out + o).storeBytes(
                    of: (word &>> UInt64(8 &* from)).littleEndian, as: UInt64.self)
                o &+= 8 &- from
            }
            i &+= 8
        }
        while i < count {
            let byte = source[i]
            if needsEscape(byte) {
                o += escape(byte, to: out + o)
            } else {
                out[o] = byte
                o += 1
            }
            i += 1
        }
        return o
    }

    /// Writes the escape of `byte` (one that needs it) at `out`; returns its length.
    @inline(__always)
    private static func escape(_ byte: UInt8, to out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = UInt8(ascii: "\\")
        let short: UInt8
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): short = byte
        case 0x08: short = UInt8(ascii: "b")
        case 0x0C: short = UInt8(ascii: "f")
        case 0x0A: short = UInt8(ascii: "n")
        case 0x0D: short = UInt8(ascii: "r")
        case 0x09: short = UInt8(ascii: "t")
        default:
            let hex: StaticString = "0123456789abcdef"
            out[1] = UInt8(ascii: "u")
            out[2] = UInt8(ascii: "0")
            out[3] = UInt8(ascii: "0")
            out[4] = hex.utf8Start[Int(byte >> 4)]
            out[5] = hex.utf8Start[Int(byte & 0x0F)]
            return 6
        }
        out[1] = short
        return 2
    }
}

extension JSONEscaping {
    /// Appends `text` to `out`, escaped.
    @inlinable
    public static func append(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { append($0, to: &out) }
    }
}
