import Essentials
import Foundation
import Testing

/// Essentials' one string decoder: the values JSONDecoder gives, and the first fault in the text as the reason.
@Suite("JSONScanner strings")
struct JSONScannerStringTests {
    /// `text` (a JSON string with its quotes) read by the scanner: the value and the index past it, or the reason.
    func scan(_ text: [UInt8]) -> Result<(String, Int), JSONScanner.Failure> {
        var scanner = JSONScanner(text)
        do throws(JSONScanner.Failure) {
            let value = try scanner.string()
            return .success((value, scanner.index))
        } catch {
            return .failure(error)
        }
    }

    @Test(
        "escaped strings decode as JSONDecoder does and stop past their closing quote",
        arguments: [
            #""plain""#, #""a\"b""#, #""\\""#, #""x\\\"y""#, #""\/\b\f\n\r\t""#, #""caf\u00e9 \u20ac""#,
            #""\ud83d\ude00!""#, #""é\né""#, #""\u0000""#, #""{\"k\":\"v\"}""#,
        ])
    func decodes(_ text: String) throws {
        let bytes = Array((text + #" , "rest""#).utf8)
        let (value, end) = try scan(bytes).get()
        #expect(value == (try JSONDecoder().decode(String.self, from: Data(text.utf8))))
        #expect(end == text.utf8.count)
    }

    @Test(
        "the first fault is the reason, also past an escape",
        arguments: [
            (#""abc"#, "unterminated string"), (#""a\nb"#, "unterminated string"),
            (#""a\"#, "unterminated escape"), (#""a\q""#, "invalid escape"),
            (#""a\n\q" "\u00"#, "invalid escape"), (#""\u12"  "#, #"invalid \u escape"#),
            (#""\u12"#, #"short \u escape"#), (#""\ud83d""#, "unpaired surrogate"),
            (#""\ud83dx""#, "unpaired surrogate"), (#""\ude00""#, "unpaired surrogate"),
            (#""\ud83d\u0041""#, "unpaired surrogate"), ("\"a\\n\u{01}\"", "control character in string"),
            ("\"\u{01}\\q\"", "control character in string"),
        ])
    func reasons(_ text: String, _ reason: String) {
        guard case .failure(let failure) = scan(Array(text.utf8)) else {
            Issue.record("\(text) was read")
            return
        }
        #expect(failure.reason == reason, "\(text)")
    }

    @Test("invalid UTF-8 is refused with or without an escape; an escape's own UTF-8 is valid")
    func utf8() {
        for bytes in [[0x22, 0xFF, 0x22], [0x22, 0x5C, 0x6E, 0xC3, 0x22], [0x22, 0xE9, 0x5C, 0x6E, 0x22]] as [[UInt8]] {
            guard case .failure(let failure) = scan(bytes) else {
                Issue.record("\(bytes) was read")
                continue
            }
            #expect(failure.reason == "invalid UTF-8")
        }
        #expect((try? scan(Array(#""\u00e9\n""#.utf8)).get().0) == "é\n")
    }
}
