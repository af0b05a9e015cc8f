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

    /// The maximum nesting depth accepted by the parser unless a call names another.
    public static let maximumDepth = 100

    /// Parses a JSON/EJSON text; values nested deeper than `maximumDepth` JSON levels (the outermost value
    /// is level 0, Extended JSON wrappers count) are refused.
    public static func parse(
        _ bytes: some Collection<UInt8>, maximumDepth: Int = maximumDepth
    ) throws(DataAPIError) -> BSONValue {
        var parser = Parser(bytes: Array(bytes), maximumDepth: maximumDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    /// Parses a JSON/EJSON text that must be an object (nesting as in ``parse(_:maximumDepth:)``).
    public static func parseDocument(
        _ bytes: some Collection<UInt8>, maximumDepth: Int = maximumDepth
    ) throws(DataAPIError) -> Document {
        guard case .document(let document) = try parse(bytes, maximumDepth: maximumDepth) else {
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
}
