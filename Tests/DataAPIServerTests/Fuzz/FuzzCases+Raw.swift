// The raw-text cases: JSON that no serializer writes (malformed, duplicate keys, out-of-range numbers, bad
// Extended JSON wrappers).
extension FuzzCaseGenerator {
    mutating func badJSON() -> String {
        let valid = #"{"database":"fuzz","collection":"a","filter":{"x":1}}"#
        switch values.random.int(0...11) {
        case 0: return String(valid.prefix(values.random.int(0...(valid.count - 1))))
        case 1: return valid + "garbage"
        case 2: return "\u{FEFF}" + valid
        case 3: return String(repeating: "[", count: values.random.pick([50, 200, 100_000]))
        case 4:
            return String(repeating: #"{"a":"#, count: values.random.pick([107, 108, 109, 5_000])) + "1"
                + String(repeating: "}", count: 5)
        case 5: return #"{"database":"fuzz","collection":"a","filter":{"x":"\ud800"}}"#
        case 6:
            return #"{"database":"fuzz","collection":"a","filter":{"x":"a\u0001"}}"#.replacingOccurrences(
                of: "\\u0001", with: "\u{1}")
        case 7: return "null"
        case 8: return "[]"
        case 9: return #"{"database":"fuzz","collection":"a","filter":{"x":tru}}"#
        case 10:
            return String(
                decoding: (0..<values.random.int(1...64)).map { _ in UInt8(values.random.int(0...255)) }, as: UTF8.self)
        default: return ""
        }
    }

    /// Numbers JSON can write but no BSON type holds exactly.
    mutating func rawNumbers() -> FuzzCase {
        let number = values.random.pick([
            "1e400", "-1e400", "1e-400", "123456789012345678901234567890", "-0", "-0.0", "9223372036854775808",
            "-9223372036854775809", "0.1e1", "1E+2", "01", "1.", ".5", "+1", "NaN", "Infinity", "1e99999999999",
        ])
        let action = values.random.pick(["insertOne", "find", "updateOne"])
        let body: String
        switch action {
        case "insertOne": body = #"{"database":"fuzz","collection":"a","document":{"n":\#(number)}}"#
        case "find": body = #"{"database":"fuzz","collection":"a","filter":{"x":\#(number)},"limit":\#(number)}"#
        default: body = #"{"database":"fuzz","collection":"b","filter":{},"update":{"$inc":{"x":\#(number)}}}"#
        }
        return raw(
            kind: "raw number \(number)", action: action, body: body, collection: action == "updateOne" ? "b" : "a")
    }

    mutating func duplicateKeys() -> String {
        values.random.pick([
            #"{"database":"fuzz","database":"other","collection":"a","document":{"x":1}}"#,
            #"{"database":"fuzz","collection":"a","document":{"x":1,"x":2}}"#,
            #"{"database":"fuzz","collection":"a","document":{"_id":1,"s":{"k":1,"k":1}}}"#,
            #"{"database":"fuzz","collection":"a","document":{"x":{"$numberInt":"1","$numberInt":"2"}}}"#,
        ])
    }

    mutating func invalidExtendedJSON() -> String {
        let wrapper = values.random.pick([
            #"{"$oid":"zz"}"#, #"{"$oid":5}"#, #"{"$numberInt":"3000000000"}"#, #"{"$numberInt":"1.5"}"#,
            #"{"$numberLong":"x"}"#, #"{"$numberDouble":"abc"}"#, #"{"$numberDouble":"nan"}"#, #"{"$date":"notadate"}"#,
            #"{"$date":{"$numberLong":"x"}}"#, #"{"$date":1e400}"#, #"{"$binary":{"base64":"","subType":"00"}}"#,
            #"{"$regularExpression":{"pattern":"a","options":""}}"#, #"{"$timestamp":{"t":1,"i":1}}"#,
            #"{"$numberDecimal":"1"}"#, #"{"$minKey":1}"#, #"{"$date":"2026-02-30T00:00:00Z"}"#,
        ])
        return #"{"database":"fuzz","collection":"a","document":{"_id":"ejson","v":\#(wrapper)}}"#
    }
}
