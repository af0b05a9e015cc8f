/// Writes JSON the way ``JSONCoding/encoder`` does: no whitespace, `"`, `\` and control characters escaped
/// (`\b \f \n \r \t`, else `\u00xx`), everything else as it is, numbers as `JSONEncoder` writes them. Object
/// keys come in the order the caller writes them: write them in UTF-8 byte order (``object(_:)`` sorts its own)
/// for the encoder's `.sortedKeys` output.
///
/// Used for the JSON written on every invocation (events, responses, answers of ``JSONBytesEncodable`` types)
/// instead of going through the encoder's value tree.
public struct JSONBytesWriter: Sendable {
    /// A value JSON cannot carry (a NaN or infinite number): the caller falls back to ``JSONCoding/encoder``,
    /// which then gives its own error.
    public struct Unencodable: Error, Sendable {}

    /// The JSON written so far.
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    /// A writer whose buffer holds `capacity` bytes before it grows.
    public init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// `{`.
    public mutating func beginObject() { open(UInt8(ascii: "{")) }

    /// `}`.
    public mutating func endObject() { close(UInt8(ascii: "}")) }

    /// `[`.
    public mutating func beginArray() { open(UInt8(ascii: "[")) }

    /// `]`.
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = true
    }

    /// An object key (a plain ASCII name, nothing to escape) and its colon.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A string member; nothing when the value is nil (as `encodeIfPresent`).
    public mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    /// A string member; `null` when the value is nil (as `encode` of an optional).
    public mutating func memberOrNull(_ name: StaticString, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }

    /// A string value.
    public mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { append(escaping: $0) }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Appends `utf8` with the bytes JSON needs escaped escaped: counted first, then written in place in one go.
    private mutating func append(escaping utf8: UnsafeBufferPointer<UInt8>) {
        var extra = 0
        Self.escapeLengths.withUnsafeBufferPointer { lengths in
            for byte in utf8 { extra &+= Int(lengths[Int(byte)]) }
        }
        guard extra > 0 else {
            bytes.append(contentsOf: utf8)
            return
        }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: utf8.count + extra))
        bytes.withUnsafeMutableBufferPointer { out in
            var o = start
            for byte in utf8 {
                guard Self.needsEscape(byte) else {
                    out[o] = byte
                    o += 1
                    continue
                }
                out[o] = UInt8(ascii: "\\")
                if byte >= 0x20 {
                    out[o + 1] = byte
                    o += 2
                } else if let short = Self.shortEscape(byte) {
                    out[o + 1] = short
                    o += 2
                } else {
                    out[o + 1] = UInt8(ascii: "u")
                    out[o + 2] = UInt8(ascii: "0")
                    out[o + 3] = UInt8(ascii: "0")
                    out[o + 4] = Self.hexDigits[Int(byte >> 4)]
                    out[o + 5] = Self.hexDigits[Int(byte & 0x0F)]
                    o += 6
                }
            }
        }
    }

    /// How many bytes escaping adds to a byte: 1 for a quote, a backslash and the short control escapes, 5 for
    /// the other control characters (`\u00xx`).
    private static let escapeLengths: [UInt8] = (0...255).map { value in
        let byte = UInt8(value)
        guard needsEscape(byte) else { return 0 }
        return byte < 0x20 && shortEscape(byte) == nil ? 5 : 1
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// The letter of a control character's two-byte escape (`\b \f \n \r \t`), nil when it has none.
    private static func shortEscape(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x08: return UInt8(ascii: "b")
        case 0x0C: return UInt8(ascii: "f")
        case 0x0A: return UInt8(ascii: "n")
        case 0x0D: return UInt8(ascii: "r")
        case 0x09: return UInt8(ascii: "t")
        default: return nil
        }
    }

    /// `true` or `false`.
    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
        needsComma = true
    }

    /// `null`.
    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    /// An integer.
    public mutating func integer(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    /// A number as `JSONEncoder` writes a `Double`: its shortest round-trip `description`, without a trailing
    /// `.0`. NaN and infinities throw (the encoder refuses them too).
    public mutating func double(_ value: Double) throws(Unencodable) {
        guard value.isFinite else { throw Unencodable() }
        separate()
        bytes.append(contentsOf: value.description.utf8)
        let count = bytes.count
        if count >= 2, bytes[count - 1] == UInt8(ascii: "0"), bytes[count - 2] == UInt8(ascii: ".") {
            bytes.removeLast(2)
        }
        needsComma = true
    }

    /// An array of strings.
    public mutating func array(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// An object of string members, keys in UTF-8 byte order.
    public mutating func object(_ values: [String: String]) {
        beginObject()
        for (name, value) in values.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            string(name)
            bytes.append(UInt8(ascii: ":"))
            needsComma = false
            string(value)
        }
        endObject()
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// An `Encodable` answer that also writes its JSON directly, byte for byte what ``JSONCoding/encoder`` writes for
/// it (``APIGatewayV2Response/json(_:status:)`` uses the direct path; the encoder when it throws).
public protocol JSONBytesEncodable: Encodable {
    /// Writes the value as ``JSONCoding/encoder`` encodes it (keys in UTF-8 byte order).
    func writeJSON(to out: inout JSONBytesWriter) throws(JSONBytesWriter.Unencodable)
}

extension APIGatewayV2Response {
    /// A JSON response with `content-type: application/json`, written directly; through ``JSONCoding/encoder``
    /// when the value holds something the writer leaves to it (its error is thrown then).
    public static func json<T: JSONBytesEncodable>(_ value: T, status: Int = 200) throws -> APIGatewayV2Response {
        var out = JSONBytesWriter(capacity: 512)
        do throws(JSONBytesWriter.Unencodable) {
            try value.writeJSON(to: &out)
        } catch {
            return try encodedJSON(value, status: status)
        }
        return json(bytes: out.bytes, status: status)
    }
}
