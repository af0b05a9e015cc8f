import Essentials

/// A strict RFC 8259 reader for ``OcppJSON`` over Essentials' ``JSONScanner``: no trailing commas, no comments,
/// no leading zeros, UTF-8 checked, nesting bounded (so a hostile message of 128 KiB of `[` cannot exhaust the
/// stack). One pass: a charger's frame becomes its value directly.
struct OcppJSONReader {
    /// Deeper than any OCPP 1.6 payload (a charging profile is six levels down) with a wide margin.
    static let maximumDepth = 64

    private var scanner: JSONScanner

    init(_ bytes: [UInt8]) { scanner = JSONScanner(bytes) }

    /// The one value the text holds, with nothing but whitespace around it.
    mutating func readDocument() throws(ChargingWireError) -> OcppJSON {
        do throws(JSONScanner.Failure) {
            let value = try readValue(depth: 0)
            scanner.skipWhitespace()
            guard scanner.isAtEnd else { throw JSONScanner.Failure("unexpected text after the value") }
            return value
        } catch {
            throw ChargingWireError(.malformedPayload, "not JSON: \(error.reason) at byte \(scanner.index)")
        }
    }

    private mutating func readValue(depth: Int) throws(JSONScanner.Failure) -> OcppJSON {
        scanner.skipWhitespace()
        guard let byte = scanner.next else { throw JSONScanner.Failure("unexpected end") }
        switch byte {
        case UInt8(ascii: "{"): return try readObject(depth: depth + 1)
        case UInt8(ascii: "["): return try readArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try scanner.string())
        case UInt8(ascii: "t"):
            try scanner.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try scanner.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try scanner.literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            switch try scanner.number() {
            case .integer(let value): return .integer(value)
            case .double(let value):
                guard value.isFinite else { throw JSONScanner.Failure("number out of range") }
                if let integral = Int64(exactly: value) { return .integer(integral) }
                return .number(value)
            }
        default: throw JSONScanner.Failure("unexpected character")
        }
    }

    private mutating func readObject(depth: Int) throws(JSONScanner.Failure) -> OcppJSON {
        guard depth <= Self.maximumDepth else { throw JSONScanner.Failure("nested deeper than \(Self.maximumDepth)") }
        scanner.index += 1
        var members: [String: OcppJSON] = [:]
        scanner.skipWhitespace()
        if scanner.consume(UInt8(ascii: "}")) { return .object(members) }
        while true {
            scanner.skipWhitespace()
            guard scanner.next == UInt8(ascii: "\"") else { throw JSONScanner.Failure("expected a key") }
            let key = try scanner.string()
            scanner.skipWhitespace()
            guard scanner.consume(UInt8(ascii: ":")) else { throw JSONScanner.Failure("expected :") }
            members[key] = try readValue(depth: depth)  // a repeated name: the last one counts
            scanner.skipWhitespace()
            if scanner.consume(UInt8(ascii: ",")) { continue }
            guard scanner.consume(UInt8(ascii: "}")) else { throw JSONScanner.Failure("expected , or }") }
            return .object(members)
        }
    }

    private mutating func readArray(depth: Int) throws(JSONScanner.Failure) -> OcppJSON {
        guard depth <= Self.maximumDepth else { throw JSONScanner.Failure("nested deeper than \(Self.maximumDepth)") }
        scanner.index += 1
        var items: [OcppJSON] = []
        scanner.skipWhitespace()
        if scanner.consume(UInt8(ascii: "]")) { return .array(items) }
        while true {
            items.append(try readValue(depth: depth))
            scanner.skipWhitespace()
            if scanner.consume(UInt8(ascii: ",")) { continue }
            guard scanner.consume(UInt8(ascii: "]")) else { throw JSONScanner.Failure("expected , or ]") }
            return .array(items)
        }
    }
}
