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
        _ = consume(UInt8(ascii: "-"))
        guard index < bytes.count, isDigit(bytes[index]) else { throw Failure("invalid number") }
        if !consume(UInt8(ascii: "0")) { skipDigits() }
        var isInteger = true
        if consume(UInt8(ascii: ".")) {
            isInteger = false
            guard index < bytes.count, isDigit(bytes[index]) else { throw Failure("invalid number") }
            skipDigits()
        }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            isInteger = false
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            guard index < bytes.count, isDigit(bytes[index]) else { throw Failure("invalid number") }
            skipDigits()
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text) else { throw Failure("invalid number") }
        return .double(value)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    private mutating func skipDigits() {
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    /// Reads a string from its opening quote: UTF-8 checked, escapes (surrogate pairs included) decoded, raw
    /// control characters refused.
    public mutating func string() throws(Failure) -> String {
        index += 1
        let start = index
        // The common case, a string without escapes, is read in place: ASCII needs no validation.
        let plain = bytes.withUnsafeBufferPointer { buffer -> (end: Int, text: String?) in
            var end = start
            var high: UInt8 = 0
            while end < buffer.count {
                let byte = buffer[end]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                high |= byte
                end += 1
            }
            guard end < buffer.count, buffer[end] == UInt8(ascii: "\"") else { return (end, nil) }
            let utf8 = UnsafeBufferPointer(rebasing: buffer[start..<end])
            return (end, high < 0x80 ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self))
        }
        index = plain.end
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            index += 1
            guard let text = plain.text else { throw Failure("invalid UTF-8") }
            return text
        }
        var text = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw Failure("unterminated string") }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: text, as: UTF8.self) else { throw Failure("invalid UTF-8") }
                return string
            case UInt8(ascii: "\\"):
                try escape(into: &text)
                // The run up to the next quote, escape or control character is copied in one go (a JSON
                // document inside a string, like an API Gateway response body, is mostly such runs).
                let run = index
                skipPlainBytes()
                if index > run { text.append(contentsOf: bytes[run..<index]) }
            case 0..<0x20: throw Failure("control character in string")
            default: text.append(byte)
            }
        }
    }

    /// Moves ``index`` past the bytes that a string holds as they are (no quote, backslash or control character).
    private mutating func skipPlainBytes() {
        index = bytes.withUnsafeBufferPointer { buffer in
            var end = index
            while end < buffer.count {
                let byte = buffer[end]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                end += 1
            }
            return end
        }
    }

    private mutating func escape(into text: inout [UInt8]) throws(Failure) {
        guard index < bytes.count else { throw Failure("unterminated escape") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800...0xDBFF).contains(code) {
                guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")) else {
                    throw Failure("unpaired surrogate")
                }
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw Failure("unpaired surrogate") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                throw Failure("unpaired surrogate")
            }
            guard let scalar = Unicode.Scalar(code) else { throw Failure("invalid \\u escape") }
            UTF8.encode(scalar) { text.append($0) }
        default: throw Failure("invalid escape")
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw Failure("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Failure("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
