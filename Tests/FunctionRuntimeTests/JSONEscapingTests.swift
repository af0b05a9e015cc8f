import Essentials
import FunctionRuntime
import Testing

/// The word-at-a-time escaper writes what escaping byte by byte writes, and finds what a byte loop finds.
@Suite("JSON escaping")
struct JSONEscapingTests {
    /// The escaping of `text` written byte by byte.
    static func reference(_ text: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in text {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: out.append(byte)
            }
        }
        return out
    }

    /// Byte strings of every length up to 40 (all positions in a word), mostly plain with each kind of special
    /// byte and non-ASCII bytes sprinkled in.
    static func samples() -> [[UInt8]] {
        let specials: [UInt8] = [
            0x22, 0x5C, 0x00, 0x01, 0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x1F, 0x20, 0x7F, 0x80, 0xC3, 0xFF,
        ]
        var samples: [[UInt8]] = [[], Array("plain ASCII text, nothing to escape at all".utf8)]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for length in 0...40 {
            for _ in 0..<60 {
                var bytes: [UInt8] = []
                for _ in 0..<length {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let pick = Int(state >> 58)
                    bytes.append(
                        pick < 8 ? specials[Int(state >> 33) % specials.count] : UInt8(0x21 + (state >> 40) % 0x5E))
                }
                samples.append(bytes)
            }
        }
        return samples
    }

    @Test("escaped text is what a byte-by-byte escaper writes, appended after what was there")
    func escapes() {
        for sample in Self.samples() {
            var out = Array("prefix".utf8)
            sample.withUnsafeBufferPointer { JSONEscaping.append($0, to: &out) }
            #expect(out == Array("prefix".utf8) + Self.reference(sample), "\(sample)")
        }
    }

    @Test("a plain run ends at the first quote, backslash or control character, and knows whether it is ASCII")
    func plainRuns() {
        for sample in Self.samples() {
            for start in [0, 1, 7, 9].filter({ $0 <= sample.count }) {
                let end = sample[start...].firstIndex { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C } ?? sample.count
                let high = sample[start..<end].reduce(UInt8(0)) { $0 | $1 }
                let run = sample.withUnsafeBufferPointer { JSONEscaping.plainRun($0, from: start) }
                #expect(run.end == end && run.isASCII == (high < 0x80), "\(sample) from \(start)")
            }
        }
    }

    @Test("strings and integers are written as the encoder writes them")
    func writer() throws {
        var values = Self.samples().map { String(decoding: $0, as: UTF8.self) }
        values += ["é ü 😀 \u{2028}", "\u{7F}", "a/b"]
        for value in values {
            var out = JSONBytesWriter(capacity: 8)
            out.string(value)
            #expect(
                String(decoding: out.bytes, as: UTF8.self)
                    == String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self))
        }
        for value: Int64 in [0, 1, -1, 9, 10, -10, 1_795_500_000_000, .max, .min, .max - 1, .min + 1] {
            var out = JSONBytesWriter(capacity: 8)
            out.integer(value)
            #expect(String(decoding: out.bytes, as: UTF8.self) == String(value))
        }
    }
}
