import Essentials

// Serialization: canonical or relaxed Extended JSON v2, written straight into a byte buffer.
extension ExtendedJSON {
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

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        JSONEscaping.append(s, to: &out)
        out.append(UInt8(ascii: "\""))
    }
}
