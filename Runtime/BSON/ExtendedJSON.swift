import Essentials

/// MongoDB Extended JSON v2: parsing of canonical, relaxed and plain JSON into ``BSONValue``, and
/// serialization in canonical or relaxed mode.
///
/// Plain JSON integers become `int32` when they fit and `int64` otherwise; numbers with a fraction or
/// exponent become `double`. The wrappers `$oid`, `$date`, `$numberInt`, `$numberLong` and
/// `$numberDouble` are recognised only in their exact single-key shapes, so query operators such as
/// `{"$gt": 5}` stay ordinary documents.
public enum ExtendedJSON {
    /// How to render numbers and dates.
    public enum Mode: Sendable {
        /// Type-preserving: `{"$numberInt": "1"}`, `{"$date": {"$numberLong": "…"}}`.
        case canonical
        /// Human-friendly: plain numbers, `{"$date": "2026-11-26T11:09:55.123Z"}`.
        case relaxed
    }

    /// The maximum nesting depth accepted by the parser.
    public static let maximumDepth = 100

    /// Parses a JSON/EJSON text.
    public static func parse(_ bytes: some Collection<UInt8>) throws(DataAPIError) -> BSONValue {
        var parser = Parser(bytes: Array(bytes))
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    /// Parses a JSON/EJSON text that must be an object.
    public static func parseDocument(_ bytes: some Collection<UInt8>) throws(DataAPIError) -> Document {
        guard case .document(let document) = try parse(bytes) else {
            throw DataAPIError(.invalidParameter, "expected a JSON object")
        }
        return document
    }

    /// Parses a JSON/EJSON string.
    public static func parse(_ text: String) throws(DataAPIError) -> BSONValue { try parse(Array(text.utf8)) }

    /// Serializes a value.
    public static func serialize(_ value: BSONValue, mode: Mode) -> String {
        var out = [UInt8]()
        out.reserveCapacity(256)
        write(value, mode: mode, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Serializes a document.
    public static func serialize(_ document: Document, mode: Mode) -> String {
        serialize(.document(document), mode: mode)
    }

    /// Serializes a value into UTF-8 bytes.
    public static func serializeBytes(_ value: BSONValue, mode: Mode) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256)
        write(value, mode: mode, into: &out)
        return out
    }

    // MARK: - Writing

    static func write(_ value: BSONValue, mode: Mode, into out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let b):
            out.append(contentsOf: (b ? "true" : "false").utf8)
        case .string(let s):
            writeString(s, into: &out)
        case .int32(let v):
            if mode == .canonical {
                wrap("$numberInt", string: String(v), into: &out)
            } else {
                out.append(contentsOf: String(v).utf8)
            }
        case .int64(let v):
            if mode == .canonical {
                wrap("$numberLong", string: String(v), into: &out)
            } else {
                out.append(contentsOf: String(v).utf8)
            }
        case .double(let d):
            if mode == .canonical || !d.isFinite {
                wrap("$numberDouble", string: doubleText(d), into: &out)
            } else {
                out.append(contentsOf: doubleText(d).utf8)
            }
        case .datetime(let ms):
            out.append(contentsOf: "{\"$date\":".utf8)
            if mode == .relaxed, ms >= 0, ms < 253_402_300_800_000 {
                writeString(Timestamp.format(milliseconds: ms), into: &out)
            } else {
                wrap("$numberLong", string: String(ms), into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .objectId(let oid):
            wrap("$oid", string: oid.hex, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, mode: mode, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .document(let document):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, item) in document {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(item, mode: mode, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func wrap(_ key: String, string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        writeString(key, into: &out)
        out.append(UInt8(ascii: ":"))
        writeString(string, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// The EJSON text of a double: shortest round-trip form, `.0` for integral values,
    /// `Infinity`, `-Infinity`, `NaN`.
    static func doubleText(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return "\(d)"
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [92, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [92, UInt8(ascii: "f")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: - Parsing

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func error(_ message: String) -> DataAPIError {
            DataAPIError(.invalidParameter, "invalid JSON at byte \(index): \(message)")
        }

        mutating func skipWhitespace() {
            while index < bytes.count,
                bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09
            {
                index += 1
            }
        }

        mutating func parseValue(depth: Int) throws(DataAPIError) -> BSONValue {
            guard depth <= ExtendedJSON.maximumDepth else {
                throw error("nesting deeper than \(ExtendedJSON.maximumDepth)")
            }
            guard index < bytes.count else { throw error("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw error("unexpected character")
            }
        }

        mutating func literal(_ word: String) throws(DataAPIError) {
            for c in word.utf8 {
                guard index < bytes.count, bytes[index] == c else { throw error("invalid literal") }
                index += 1
            }
        }

        mutating func parseNumber() throws(DataAPIError) -> BSONValue {
            let start = index
            var isInteger = true
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 else { throw error("invalid number") }
            if bytes[index] == 48 {
                index += 1
            } else {
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                let digitsStart = index
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
                guard index > digitsStart else { throw error("invalid number") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                let digitsStart = index
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
                guard index > digitsStart else { throw error("invalid number") }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if isInteger, let v = Int64(text) { return .integer(v) }
            guard let d = Double(text) else { throw error("invalid number") }
            return .double(d)
        }

        mutating func parseString() throws(DataAPIError) -> String {
            index += 1  // opening quote
            var out = [UInt8]()
            while true {
                guard index < bytes.count else { throw error("unterminated string") }
                let c = bytes[index]
                index += 1
                switch c {
                case UInt8(ascii: "\""):
                    guard let s = String(validating: out, as: UTF8.self) else { throw error("invalid UTF-8") }
                    return s
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw error("unterminated escape") }
                    let e = bytes[index]
                    index += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(34)
                    case UInt8(ascii: "\\"): out.append(92)
                    case UInt8(ascii: "/"): out.append(47)
                    case UInt8(ascii: "b"): out.append(8)
                    case UInt8(ascii: "f"): out.append(12)
                    case UInt8(ascii: "n"): out.append(10)
                    case UInt8(ascii: "r"): out.append(13)
                    case UInt8(ascii: "t"): out.append(9)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard index + 1 < bytes.count, bytes[index] == 92, bytes[index + 1] == UInt8(ascii: "u")
                            else { throw error("unpaired surrogate") }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(scalar) {
                            throw error("unpaired surrogate")
                        }
                        guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                        out.append(contentsOf: Array(String(Character(u)).utf8))
                    default: throw error("invalid escape")
                    }
                case 0..<0x20:
                    throw error("control character in string")
                default:
                    out.append(c)
                }
            }
        }

        mutating func hex4() throws(DataAPIError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[index]
                index += 1
                let n: UInt32
                switch c {
                case 48...57: n = UInt32(c - 48)
                case 97...102: n = UInt32(c - 87)
                case 65...70: n = UInt32(c - 55)
                default: throw error("invalid \\u escape")
                }
                v = v << 4 | n
            }
            return v
        }

        mutating func parseArray(depth: Int) throws(DataAPIError) -> BSONValue {
            index += 1
            var items = [BSONValue]()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw error("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw error("expected , or ]") }
                index += 1
                return .array(items)
            }
        }

        mutating func parseObject(depth: Int) throws(DataAPIError) -> BSONValue {
            index += 1
            var document = Document()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .document(document)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key") }
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected :") }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth + 1)
                guard document[key] == nil else { throw error("duplicate key \"\(key)\"") }
                document[key] = value
                skipWhitespace()
                guard index < bytes.count else { throw error("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { throw error("expected , or }") }
                index += 1
                return try ExtendedJSON.unwrap(document)
            }
        }
    }

    /// Turns an EJSON wrapper object into its typed value; returns other objects unchanged.
    static func unwrap(_ document: Document) throws(DataAPIError) -> BSONValue {
        guard document.count == 1, let key = document.keys.first, key.hasPrefix("$"), let value = document[key] else {
            return .document(document)
        }
        func bad(_ what: String) -> DataAPIError {
            DataAPIError(.invalidParameter, "invalid Extended JSON \(key): \(what)")
        }
        switch key {
        case "$oid":
            guard let s = value.stringValue else { return .document(document) }
            guard let oid = ObjectId(hex: s) else { throw bad("expected 24 hex digits") }
            return .objectId(oid)
        case "$numberInt":
            guard let s = value.stringValue else { return .document(document) }
            guard let v = Int32(s) else { throw bad("not a 32-bit integer") }
            return .int32(v)
        case "$numberLong":
            guard let s = value.stringValue else { return .document(document) }
            guard let v = Int64(s) else { throw bad("not a 64-bit integer") }
            return .int64(v)
        case "$numberDouble":
            guard let s = value.stringValue else { return .document(document) }
            switch s {
            case "Infinity": return .double(.infinity)
            case "-Infinity": return .double(-.infinity)
            case "NaN": return .double(.nan)
            default:
                guard let d = Double(s) else { throw bad("not a number") }
                return .double(d)
            }
        case "$date":
            switch value {
            case .string(let s):
                guard let ms = Timestamp.parseMilliseconds(s) else { throw bad("not an ISO-8601 date") }
                return .datetime(ms)
            case .int64(let ms): return .datetime(ms)
            case .int32(let ms): return .datetime(Int64(ms))
            case .double(let d):
                guard let ms = BSONValue.double(d).int64Value else { throw bad("not a millisecond count") }
                return .datetime(ms)
            default:
                return .document(document)
            }
        default:
            return .document(document)
        }
    }
}
