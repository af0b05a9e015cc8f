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
            let value: BSONValue
            if C.skip("\"$numberLong\":\"", b, &i) {
                guard let v = C.integer(b, &i) else { return nil }
                value = .int64(v)
            } else if C.skip("\"$date\":{\"$numberLong\":\"", b, &i) {
                guard let v = C.integer(b, &i), C.skip("}", b, &i) else { return nil }
                value = .datetime(v)
            } else if C.skip("\"$numberDouble\":\"", b, &i) {
                guard let text = C.text(b, &i),
                    let d = ExtendedJSON.double(canonical: String(decoding: b[text], as: UTF8.self))
                else { return nil }
                value = .double(d)
            } else if C.skip("\"$numberInt\":\"", b, &i) {
                guard let v = C.integer(b, &i), let small = Int32(exactly: v) else { return nil }
                value = .int32(small)
            } else {
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

    /// `-?[0-9]+` as `Int64(_:)` reads it, up to past the closing quote; nil for any other text or an overflow.
    static func integer(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Int64? {
        guard let range = text(b, &i) else { return nil }
        var j = range.lowerBound
        let negative = j < range.upperBound && b[j] == UInt8(ascii: "-")
        if negative { j += 1 }
        guard j < range.upperBound else { return nil }
        var value: Int64 = 0
        while j < range.upperBound {
            let digit = b[j] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) =
                negative
                ? times.subtractingReportingOverflow(Int64(digit)) : times.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = next
            j += 1
        }
        return value
    }
}
