import BSON
import Testing

/// Objects as the parser reads them: a one-key EJSON wrapper is typed, anything else stays a document, and
/// malformed objects fail with the message and byte offset they always had.
@Suite("Extended JSON objects")
struct ExtendedJSONObjectTests {
    static func parse(_ text: String) throws -> BSONValue { try ExtendedJSON.parse(Array(text.utf8)) }

    @Test(
        "wrapper lookalikes stay documents",
        arguments: [
            #"{"$numberLong":5}"#, #"{"$numberLong":"5","x":1}"#, #"{"x":1,"$numberLong":"5"}"#, #"{"$gt":5}"#,
            #"{"$date":true}"#, #"{"$oid":null}"#, #"{"$numberDouble":{"a":1}}"#, #"{"numberLong":"5"}"#, "{}",
            #"{ "$date" : [1] }"#,
        ])
    func lookalikes(text: String) throws {
        let value = try Self.parse(text)
        guard case .document(let document) = value else {
            Issue.record("\(text) became \(value)")
            return
        }
        #expect(
            ExtendedJSON.serialize(document, mode: .relaxed)
                == ExtendedJSON.serialize(try Self.plain(text), mode: .relaxed))
    }

    /// The same object built key by key, without the parser.
    static func plain(_ text: String) throws -> Document {
        switch text {
        case #"{"$numberLong":5}"#: return ["$numberLong": .int32(5)]
        case #"{"$numberLong":"5","x":1}"#: return ["$numberLong": "5", "x": .int32(1)]
        case #"{"x":1,"$numberLong":"5"}"#: return ["x": .int32(1), "$numberLong": "5"]
        case #"{"$gt":5}"#: return ["$gt": .int32(5)]
        case #"{"$date":true}"#: return ["$date": true]
        case #"{"$oid":null}"#: return ["$oid": .null]
        case #"{"$numberDouble":{"a":1}}"#: return ["$numberDouble": ["a": .int32(1)]]
        case #"{"numberLong":"5"}"#: return ["numberLong": "5"]
        case #"{ "$date" : [1] }"#: return ["$date": [.int32(1)]]
        default: return [:]
        }
    }

    @Test("wrappers, spaced and nested, are typed")
    func wrappers() throws {
        #expect(try Self.parse(#"{ "$numberLong" : "-7" }"#) == .int64(-7))
        #expect(try Self.parse(#"{"$date":{ "$numberLong":"5" }}"#) == .datetime(5))
        #expect(try Self.parse(#"{"$date":"1970-01-01T00:00:01Z"}"#) == .datetime(1000))
        #expect(try Self.parse(#"[{"$numberInt":"3"},{"$numberDouble":"NaN"}]"#).arrayValue?.count == 2)
        #expect(try Self.parse(#"{"a":{"$numberInt":"3"}}"#) == .document(["a": .int32(3)]))
    }

    @Test(
        "malformed objects keep their errors",
        arguments: [
            (#"{"a":1"#, "invalid JSON at byte 6: unterminated object"),
            (#"{"a":1 x"#, "invalid JSON at byte 7: expected , or }"),
            (#"{"a":1,"a":2}"#, #"invalid JSON at byte 12: duplicate key "a""#),
            (#"{"a" 1}"#, "invalid JSON at byte 5: expected :"),
            (#"{"a":1,}"#, "invalid JSON at byte 7: expected a key"),
            (#"{1:2}"#, "invalid JSON at byte 1: expected a key"),
            (#"{"$numberLong":"x"}"#, "invalid Extended JSON $numberLong: not a 64-bit integer"),
            (#"{"$numberInt":"5000000000"}"#, "invalid Extended JSON $numberInt: not a 32-bit integer"),
        ])
    func errors(text: String, message: String) {
        #expect {
            try Self.parse(text)
        } throws: { error in
            (error as? DataAPIError)?.message == message
        }
    }

    @Test("strings: ASCII, UTF-8 and escapes read alike; invalid UTF-8 is refused")
    func strings() throws {
        #expect(try Self.parse(#""plain""#) == "plain")
        #expect(try Self.parse(#""é€😀""#) == "é€😀")
        #expect(try Self.parse(#""a\"b\u00e9\n""#) == "a\"bé\n")
        #expect(throws: DataAPIError.self) { try ExtendedJSON.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: DataAPIError.self) { try ExtendedJSON.parse([0x22, 0x61, 0xFF, 0x22]) }
    }
}
