import Essentials

// The canonical wrappers as the Data API writes them, read without building their keys or a document.
extension ExtendedJSON.Parser {
    /// At a `{`: `{"$numberLong":"…"}`, `{"$numberInt":"…"}`, `{"$numberDouble":"…"}` or
    /// `{"$date":{"$numberLong":"…"}}` written compactly (no whitespace, no escapes), read straight into its value;
    /// nil with the index unchanged for anything else, also for a text the wrapper would refuse, so the general
    /// path reads it (and gives its error). The value is what the general path gives.
    mutating func compactWrapper() -> BSONValue? {
        let start = index
        let read = bytes.withUnsafeBufferPointer { b -> (BSONValue, Int)? in
            typealias C = CompactWrapper
            var i = start + 1
            guard i + 2 < b.count, b[i] == UInt8(ascii: "\""), b[i + 1] == UInt8(ascii: "$") else { return nil }
            // The letter after `"$` (and after `"$number`) picks the one wrapper the text can be.
            let value: BSONValue
            switch (b[i + 2], i + 8 < b.count ? b[i + 8] : 0) {
            case (UInt8(ascii: "n"), UInt8(ascii: "L")):
                guard C.skip("\"$numberLong\":\"", b, &i), let v = C.integer(b, &i) else { return nil }
                value = .int64(v)
            case (UInt8(ascii: "d"), _):
                guard C.skip("\"$date\":{\"$numberLong\":\"", b, &i), let v = C.integer(b, &i), C.skip("}", b, &i)
                else { return nil }
                value = .datetime(v)
            case (UInt8(ascii: "n"), UInt8(ascii: "D")):
                guard C.skip("\"$numberDouble\":\"", b, &i), let text = C.text(b, &i),
                    let d = C.decimal(b, text)
                        ?? ExtendedJSON.double(canonical: String(decoding: b[text], as: UTF8.self))
                else { return nil }
                value = .double(d)
            case (UInt8(ascii: "n"), UInt8(ascii: "I")):
                guard C.skip("\"$numberInt\":\"", b, &i), let v = C.integer(b, &i), let small = Int32(exactly: v)
                else { return nil }
                value = .int32(small)
            default:
                return nil
            }
            guard C.skip("}", b, &i) else { return nil }
            return (value, i)
        }
        guard let (value, end) = read else { return nil }
        index = end
        return value
    }
}

/// The byte steps of ``ExtendedJSON/Parser/compactWrapper()``; each leaves `i` where it stopped.
private enum CompactWrapper {
    /// Past `literal` when the bytes at `i` are it; false (`i` unchanged) otherwise.
    static func skip(_ literal: StaticString, _ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i + count <= b.count else { return false }
        let text = literal.utf8Start
        for k in 0..<count where text[k] != b[i + k] { return false }
        i += count
        return true
    }

    /// The printable ASCII text of a string without escapes, from its first byte to past its closing quote.
    static func text(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Range<Int>? {
        let from = i
        while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20, b[i] < 0x80 {
            i += 1
        }
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        return from..<(i - 1)
    }

    /// `-?[0-9]+(\.[0-9]+)?` with at most 15 digits, exactly as `Double(_:)` reads it: the digits as an integer
    /// (exact below 2^53) divided by a power of ten up to 10^15 (exact), one correctly rounded division (Clinger's
    /// fast path). Nil for any other text, which `Double(_:)` then reads.
    static func decimal(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
        var j = range.lowerBound
        let negative = j < range.upperBound && b[j] == UInt8(ascii: "-")
        if negative { j += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var fraction: Int?
        while j < range.upperBound {
            let byte = b[j]
            j += 1
            if byte == UInt8(ascii: "."), fraction == nil, digits > 0 {
                fraction = 0
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10, digits < 15 else { return nil }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            digits += 1
            fraction = fraction.map { $0 + 1 }
        }
        guard digits > 0, fraction != 0 else { return nil }
        let value = Double(mantissa) / powersOfTen[fraction ?? 0]
        return negative ? -value : value
    }

    /// 10^0 … 10^15, each exact in a Double.
    private static let powersOfTen: [Double] = (0...15).map { exponent in
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    /// `-?[0-9]+` as `Int64(_:)` reads it, up to past the closing quote; nil for any other text or an overflow.
    static func integer(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Int64? {
        guard let range = text(b, &i) else { return nil }
        var j = range.lowerBound
        let negative = j < range.upperBound && b[j] == UInt8(ascii: "-")
        if negative { j += 1 }
        guard j < range.upperBound else { return nil }
        // Leading zeros count for nothing; 19 significant digits always fit a UInt64, more never fit an Int64.
        while j < range.upperBound - 1, b[j] == UInt8(ascii: "0") { j += 1 }
        guard range.upperBound - j <= 19 else { return nil }
        var magnitude: UInt64 = 0
        while j < range.upperBound {
            let digit = b[j] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            magnitude = magnitude &* 10 &+ UInt64(digit)
            j += 1
        }
        if negative {
            guard magnitude <= Int64.min.magnitude else { return nil }
            return Int64(truncatingIfNeeded: 0 &- magnitude)
        }
        return Int64(exactly: magnitude)
    }
}
