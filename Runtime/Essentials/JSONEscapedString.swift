/// The slow path of ``JSONScanner/string(in:from:)``: a string with at least one escape, decoded byte by byte
/// from its first backslash into a buffer allocated once, in the order a reader meets the faults.
struct EscapedString {
    typealias Failure = JSONScanner.Failure

    let buffer: UnsafeBufferPointer<UInt8>
    /// The next byte to read; past the closing quote once ``decode(prefix:capacity:)`` returns.
    var index: Int
    /// Whether every byte decoded after the prefix is ASCII.
    private(set) var isASCII = true

    init(buffer: UnsafeBufferPointer<UInt8>, index: Int) {
        self.buffer = buffer
        self.index = index
    }

    /// The decoded bytes: `prefix` (the plain bytes before the first escape) and the rest of the string from
    /// ``index`` up to its closing quote. `capacity` bounds the decoded length (the encoded length does).
    mutating func decode(prefix: UnsafeBufferPointer<UInt8>, capacity: Int) throws(Failure) -> [UInt8] {
        var failure: Failure?
        let bytes = [UInt8](unsafeUninitializedCapacity: max(capacity, prefix.count)) { out, count in
            var written = prefix.count
            if let base = prefix.baseAddress, written > 0 { out.baseAddress!.initialize(from: base, count: written) }
            defer { count = written }
            do throws(Failure) {
                while true {
                    // The plain run up to the next quote, backslash or control character, copied in one go.
                    let (run, plainASCII) = JSONEscaping.plainRun(buffer, from: index)
                    if !plainASCII { isASCII = false }
                    if run > index {
                        (out.baseAddress! + written).initialize(from: buffer.baseAddress! + index, count: run - index)
                        written += run - index
                        index = run
                    }
                    guard index < buffer.count else { throw Failure("unterminated string") }
                    let byte = buffer[index]
                    index += 1
                    switch byte {
                    case UInt8(ascii: "\""): return
                    case UInt8(ascii: "\\"): try escape(into: out, at: &written)
                    default: throw Failure("control character in string")
                    }
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// One escape after its backslash, its UTF-8 written at `out[written]`.
    private mutating func escape(into out: UnsafeMutableBufferPointer<UInt8>, at written: inout Int) throws(Failure) {
        guard index < buffer.count else { throw Failure("unterminated escape") }
        let byte = buffer[index]
        index += 1
        let decoded: UInt8
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded = byte
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            let scalar = try unicodeEscape()
            if !scalar.isASCII { isASCII = false }
            UTF8.encode(scalar) { unit in
                out[written] = unit
                written += 1
            }
            return
        default: throw Failure("invalid escape")
        }
        out[written] = decoded
        written += 1
    }

    /// The scalar of `\uXXXX` after its `u`, a surrogate pair's second half read too.
    private mutating func unicodeEscape() throws(Failure) -> Unicode.Scalar {
        var code = try hex4()
        if (0xD800...0xDBFF).contains(code) {
            guard index + 1 < buffer.count, buffer[index] == UInt8(ascii: "\\"), buffer[index + 1] == UInt8(ascii: "u")
            else {
                throw Failure("unpaired surrogate")
            }
            index += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw Failure("unpaired surrogate") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(code) {
            throw Failure("unpaired surrogate")
        }
        guard let scalar = Unicode.Scalar(code) else { throw Failure("invalid \\u escape") }
        return scalar
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= buffer.count else { throw Failure("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = buffer[index]
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
