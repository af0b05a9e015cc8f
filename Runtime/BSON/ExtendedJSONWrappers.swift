import Essentials

// Wrapper decoding: the single-key `$oid`, `$date`, `$numberInt`, `$numberLong` and `$numberDouble` objects.
extension ExtendedJSON {
    /// Turns an EJSON wrapper object into its typed value; returns other objects unchanged.
    static func unwrap(_ document: Document) throws(DataAPIError) -> BSONValue {
        var entries = document.makeIterator()
        guard document.count == 1, let (key, value) = entries.next() else { return .document(document) }
        return try unwrapped(key: key, value: value) ?? .document(document)
    }

    /// The typed value of the one-key object `{key: value}` when it is an EJSON wrapper; nil for any other
    /// object (the caller keeps it as a document).
    static func unwrapped(key: String, value: BSONValue) throws(DataAPIError) -> BSONValue? {
        guard key.utf8.first == UInt8(ascii: "$") else { return nil }
        func bad(_ what: String) -> DataAPIError {
            DataAPIError(.invalidParameter, "invalid Extended JSON \(key): \(what)")
        }
        switch key {
        case "$oid":
            guard let s = value.stringValue else { return nil }
            guard let oid = ObjectId(hex: s) else { throw bad("expected 24 hex digits") }
            return .objectId(oid)
        case "$numberInt":
            guard let s = value.stringValue else { return nil }
            guard let v = Int32(s) else { throw bad("not a 32-bit integer") }
            return .int32(v)
        case "$numberLong":
            guard let s = value.stringValue else { return nil }
            guard let v = Int64(s) else { throw bad("not a 64-bit integer") }
            return .int64(v)
        case "$numberDouble":
            guard let s = value.stringValue else { return nil }
            guard let d = double(canonical: s) else { throw bad("not a number") }
            return .double(d)
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
                return nil
            }
        default:
            return nil
        }
    }

    /// The number of a `$numberDouble` text (`Infinity`, `-Infinity`, `NaN` or a decimal); nil when it is none.
    static func double(canonical text: String) -> Double? {
        switch text {
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }
}
