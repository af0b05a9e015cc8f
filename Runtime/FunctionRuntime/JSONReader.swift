import Essentials

/// A direct JSON reader for the few fixed shapes read on every invocation (the API Gateway event, the function's
/// response), without `JSONDecoder`'s value tree and generic containers.
///
/// It vouches only for what it reads completely: any input it is not sure about (a syntax error, an unexpected
/// type, a duplicate key, a number that is not a plain integer, an escape it does not decode) makes ``read(_:_:)``
/// return nil, and the caller decodes with ``JSONCoding/decoder``, which then gives the same value or the error.
struct JSONReader {
    /// The input is not one the reader vouches for.
    struct Unsure: Error {}

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Reads a whole document with `body`; nil unless `body` read it all, with nothing but whitespace after it.
    static func read<T>(_ input: [UInt8], _ body: (inout JSONReader) throws(Unsure) -> T) -> T? {
        input.withUnsafeBufferPointer { buffer -> T? in
            var reader = JSONReader(buffer)
            guard let value = try? body(&reader) else { return nil }
            reader.skipWhitespace()
            return reader.index == buffer.count ? value : nil
        }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func peek() throws(Unsure) -> UInt8 {
        skipWhitespace()
        guard index < bytes.count else { throw Unsure() }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws(Unsure) {
        guard try peek() == byte else { throw Unsure() }
        index += 1
    }

    private mutating func literal(_ text: StaticString) throws(Unsure) {
        let matched = text.withUTF8Buffer { word -> Bool in
            guard index + word.count <= bytes.count else { return false }
            for offset in 0..<word.count where bytes[index + offset] != word[offset] { return false }
            return true
        }
        guard matched else { throw Unsure() }
        index += text.utf8CodeUnitCount
    }

    /// Consumes `null` when it comes next.
    mutating func null() throws(Unsure) -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// An object: `member` is called with each key and must read its value. A key seen twice is not vouched for.
    mutating func object(_ member: (inout JSONReader, String) throws(Unsure) -> Void) throws(Unsure) {
        try expect(UInt8(ascii: "{"))
        depth += 1
        guard depth < 64 else { throw Unsure() }
        var keys: [String] = []
        if try peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                let key = try string()
                guard !keys.contains(key) else { throw Unsure() }
                keys.append(key)
                try expect(UInt8(ascii: ":"))
                try member(&self, key)
                if try peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"))
                break
            }
        }
        depth -= 1
    }

    /// An array: `element` reads each element.
    mutating func array(_ element: (inout JSONReader) throws(Unsure) -> Void) throws(Unsure) {
        try expect(UInt8(ascii: "["))
        depth += 1
        guard depth < 64 else { throw Unsure() }
        if try peek() == UInt8(ascii: "]") {
            index += 1
        } else {
            while true {
                try element(&self)
                if try peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "]"))
                break
            }
        }
        depth -= 1
    }

    mutating func string() throws(Unsure) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                guard let text else { throw Unsure() }
                return text
            }
            guard byte >= 0x20 else { throw Unsure() }
            if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
            index += 1
        }
        throw Unsure()
    }

    /// The rest of a string that has escapes, from its first byte at `start`: decoded by Essentials'
    /// ``JSONScanner`` (the one escape decoder of the tree, surrogate pairs included) in place.
    private mutating func escapedString(from start: Int) throws(Unsure) -> String {
        guard let (text, end) = try? JSONScanner.string(in: bytes, from: start) else { throw Unsure() }
        index = end
        return text
    }

    /// A plain integer (`-?(0|[1-9][0-9]*)`): fractions and exponents are not vouched for.
    mutating func integer() throws(Unsure) -> Int64 {
        _ = try peek()
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(bytes[index] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw Unsure() }
            value = sum
            index += 1
        }
        guard index > start, bytes[start] != UInt8(ascii: "0") || index == start + 1 else { throw Unsure() }
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): throw Unsure()
            default: break
            }
        }
        return negative ? -value : value
    }

    mutating func bool() throws(Unsure) -> Bool {
        switch try peek() {
        case UInt8(ascii: "t"):
            try literal("true")
            return true
        case UInt8(ascii: "f"):
            try literal("false")
            return false
        default: throw Unsure()
        }
    }

    mutating func strings() throws(Unsure) -> [String] {
        var values: [String] = []
        try array { reader throws(Unsure) in values.append(try reader.string()) }
        return values
    }

    /// An object of strings.
    mutating func stringMap() throws(Unsure) -> [String: String] {
        var values: [String: String] = [:]
        try object { reader, key throws(Unsure) in values[key] = try reader.string() }
        return values
    }

    /// Checks a value of any type (RFC 8259) without keeping it: no string is made (a plain one is scanned a word at
    /// a time), any number is read by its grammar alone, and keys of the objects inside are not compared (a skipped
    /// value's keys change nothing about what is read).
    mutating func skipValue() throws(Unsure) {
        switch try peek() {
        case UInt8(ascii: "{"):
            index += 1
            try nested { reader throws(Unsure) in
                guard try reader.peek() != UInt8(ascii: "}") else { return }
                repeat {
                    guard try reader.peek() == UInt8(ascii: "\"") else { throw Unsure() }
                    try reader.skipString()
                    try reader.expect(UInt8(ascii: ":"))
                    try reader.skipValue()
                } while try reader.comma()
            }
            try expect(UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            index += 1
            try nested { reader throws(Unsure) in
                guard try reader.peek() != UInt8(ascii: "]") else { return }
                repeat { try reader.skipValue() } while try reader.comma()
            }
            try expect(UInt8(ascii: "]"))
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): _ = try null()
        default: try skipNumber()
        }
    }

    /// `body` one level deeper (at most 64 levels are vouched for).
    private mutating func nested(_ body: (inout JSONReader) throws(Unsure) -> Void) throws(Unsure) {
        depth += 1
        guard depth < 64 else { throw Unsure() }
        try body(&self)
        depth -= 1
    }

    /// Consumes a `,` when one comes next.
    private mutating func comma() throws(Unsure) -> Bool {
        guard try peek() == UInt8(ascii: ",") else { return false }
        index += 1
        return true
    }

    /// A string from its opening quote, checked as ``string()`` checks it, without making it.
    private mutating func skipString() throws(Unsure) {
        let start = index + 1
        let (end, isASCII) = JSONEscaping.plainRun(bytes, from: start)
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\""),
            isASCII || String(validating: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) != nil
        else {
            // An escape, a control character or the end of the input: the scanner says which.
            guard let (_, end) = try? JSONScanner.string(in: bytes, from: start) else { throw Unsure() }
            index = end
            return
        }
        index = end + 1
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`, its value not computed.
    private mutating func skipNumber() throws(Unsure) {
        guard let (end, _) = JSONScanner.numberEnd(in: bytes, from: index) else { throw Unsure() }
        index = end
    }

    /// `read` unless the value is `null` (then nil).
    mutating func optional<T>(_ read: (inout JSONReader) throws(Unsure) -> T) throws(Unsure) -> T? {
        try null() ? nil : try read(&self)
    }
}
