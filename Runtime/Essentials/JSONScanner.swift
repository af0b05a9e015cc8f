/// The lexical layer of a strict RFC 8259 reader, shared by the JSON value parsers (BSON's Extended JSON parser,
/// ChargingWire's ``OcppJSON``): whitespace, literals, numbers and strings, read from `bytes` at `index`. The
/// parser on top owns the structure (objects, arrays, depth) and turns a ``Failure`` into its own error.
public struct JSONScanner: Sendable {
    /// Why the text at ``index`` is not JSON (e.g. `unterminated string`, `unpaired surrogate`).
    public struct Failure: Error, Sendable, Hashable {
        public let reason: String

        public init(_ reason: String) { self.reason = reason }
    }

    /// A JSON number: an integer when written without fraction or exponent and in Int64's range, else a Double
    /// (infinite when the text overflows it).
    public enum Number: Sendable, Hashable {
        case integer(Int64)
        case double(Double)
    }

    public let bytes: [UInt8]
    /// The next byte to read.
    public var index = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { index >= bytes.count }

    /// The next byte, nil at the end.
    public var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    @inlinable
    public mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Reads `byte` when it comes next.
    public mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Reads the literal `word` (`true`, `false`, `null`).
    public mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Failure("invalid literal") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw Failure("invalid literal")
        }
        index += count
    }

    /// Reads `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    public mutating func number() throws(Failure) -> Number {
        let start = index
        let scanned = bytes.withUnsafeBufferPointer { Self.numberEnd(in: $0, from: start) }
        guard let (end, isInteger) = scanned else { throw Failure("invalid number") }
        index = end
        let text = String(decoding: bytes[start..<end], as: UTF8.self)
        if isInteger, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text) else { throw Failure("invalid number") }
        return .double(value)
    }

    /// The index past the number that starts at `buffer[start]` (`-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`)
    /// and whether it is written as an integer (no fraction, no exponent); nil when the text there is not one.
    /// The grammar ``number()`` reads, for a reader that steps over a number without making it.
    public static func numberEnd(
        in buffer: UnsafeBufferPointer<UInt8>, from start: Int
    ) -> (end: Int, isInteger: Bool)? {
        var index = start
        func isDigit(at index: Int) -> Bool { index < buffer.count && buffer[index] &- UInt8(ascii: "0") < 10 }
        func skipDigits() { while isDigit(at: index) { index += 1 } }
        if index < buffer.count, buffer[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(at: index) else { return nil }
        if buffer[index] == UInt8(ascii: "0") { index += 1 } else { skipDigits() }
        var isInteger = true
        if index < buffer.count, buffer[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard isDigit(at: index) else { return nil }
            skipDigits()
        }
        if index < buffer.count, buffer[index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            index += 1
            if index < buffer.count, buffer[index] == UInt8(ascii: "+") || buffer[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard isDigit(at: index) else { return nil }
            skipDigits()
        }
        return (index, isInteger)
    }

    /// Reads a string from its opening quote: UTF-8 checked, escapes (surrogate pairs included) decoded, raw
    /// control characters refused.
    public mutating func string() throws(Failure) -> String {
        let start = index + 1
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(Failure) in try Self.string(in: buffer, from: start) }
        }
        let (text, end) = try result.get()
        index = end
        return text
    }

    /// The string whose first byte (past its opening quote) is `buffer[start]`, and the index past its closing
    /// quote: what ``string()`` reads, for a reader that holds its input as a buffer. One pass in the common case
    /// (no escape); else one pass to find the closing quote and one to decode into a buffer of that size. The
    /// errors are those of reading it byte by byte: the first fault in the text is the one reported.
    public static func string(
        in buffer: UnsafeBufferPointer<UInt8>, from start: Int
    ) throws(Failure) -> (text: String, end: Int) {
        let (end, isASCII) = JSONEscaping.plainRun(buffer, from: start)
        guard end < buffer.count else { throw Failure("unterminated string") }
        if buffer[end] == UInt8(ascii: "\"") {
            let utf8 = UnsafeBufferPointer(rebasing: buffer[start..<end])
            let text = isASCII ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
            guard let text else { throw Failure("invalid UTF-8") }
            return (text, end + 1)
        }
        // The closing quote (or the end of the input), escapes stepped over; the decoded text is no longer.
        var close = end
        while close < buffer.count, buffer[close] != UInt8(ascii: "\"") {
            close = JSONEscaping.plainRun(buffer, from: close + (buffer[close] == UInt8(ascii: "\\") ? 2 : 1)).end
        }
        var decoder = EscapedString(buffer: buffer, index: end)
        let bytes = try decoder.decode(
            prefix: UnsafeBufferPointer(rebasing: buffer[start..<end]), capacity: close - start)
        // Plain runs and escapes below `\u0080` are ASCII: nothing to validate then.
        let text =
            isASCII && decoder.isASCII
            ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
        guard let text else { throw Failure("invalid UTF-8") }
        return (text, decoder.index)
    }
}
