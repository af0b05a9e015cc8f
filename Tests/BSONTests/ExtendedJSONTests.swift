import BSON
import Testing

@Suite("Extended JSON")
struct ExtendedJSONTests {
    @Test("plain JSON numbers keep integer vs double")
    func numberTypes() throws {
        let doc = try ExtendedJSON.parseDocument(Array(#"{"a":1,"b":5000000000,"c":1.0,"d":-2.5e3,"e":-0}"#.utf8))
        #expect(doc["a"] == .int32(1))
        #expect(doc["b"] == .int64(5_000_000_000))
        #expect(doc["c"] == .double(1.0))
        #expect(doc["d"] == .double(-2500))
        #expect(doc["e"] == .int32(0))
    }

    @Test("canonical wrappers become typed values")
    func canonicalWrappers() throws {
        let text = #"""
            {"i":{"$numberInt":"7"},"l":{"$numberLong":"9007199254740993"},"d":{"$numberDouble":"10.5"},
             "inf":{"$numberDouble":"-Infinity"},"t":{"$date":{"$numberLong":"1700000000123"}},
             "r":{"$date":"2026-11-26T11:09:55.5Z"},"o":{"$oid":"656f1c2e9d1b2a3c4d5e6f70"}}
            """#
        let doc = try ExtendedJSON.parseDocument(Array(text.utf8))
        #expect(doc["i"] == .int32(7))
        #expect(doc["l"] == .int64(9_007_199_254_740_993))
        #expect(doc["d"] == .double(10.5))
        #expect(doc["inf"] == .double(-.infinity))
        #expect(doc["t"] == .datetime(1_700_000_000_123))
        #expect(doc["r"] == .datetime(1_795_691_395_500))
        #expect(doc["o"]?.objectIdValue?.hex == "656f1c2e9d1b2a3c4d5e6f70")
    }

    @Test("operators are not mistaken for wrappers")
    func operatorsStayDocuments() throws {
        let doc = try ExtendedJSON.parseDocument(Array(#"{"energyWh":{"$gt":5},"$or":[{"a":1}]}"#.utf8))
        #expect(doc["energyWh"] == .document(["$gt": .int32(5)]))
        #expect(doc["$or"] == .array([.document(["a": .int32(1)])]))
    }

    @Test("canonical serialization round-trips every type exactly")
    func canonicalRoundTrip() throws {
        let original: Document = [
            "_id": .objectId(ObjectId(hex: "656f1c2e9d1b2a3c4d5e6f70")!), "s": "caf\u{e9} \"q\" \\ \n",
            "i": .int32(-3), "l": .int64(1 << 40), "d": .double(0.1), "n": .null, "b": true,
            "t": .datetime(-5), "a": [1, "x", ["k": 2.5]],
        ]
        let text = ExtendedJSON.serialize(original, mode: .canonical)
        #expect(text.contains(#""i":{"$numberInt":"-3"}"#))
        #expect(text.contains(#""t":{"$date":{"$numberLong":"-5"}}"#))
        let parsed = try ExtendedJSON.parseDocument(Array(text.utf8))
        #expect(parsed == original)
        #expect(parsed.keys == original.keys)
    }

    @Test("relaxed serialization uses plain numbers and ISO dates")
    func relaxed() {
        let doc: Document = ["n": .int64(12), "d": .double(3.0), "t": .datetime(1_795_691_395_500)]
        #expect(
            ExtendedJSON.serialize(doc, mode: .relaxed) == #"{"n":12,"d":3.0,"t":{"$date":"2026-11-26T11:09:55.500Z"}}"#
        )
    }

    @Test(
        "malformed input is rejected with a clear error",
        arguments: [
            "", "{", "{\"a\":}", "[1,]", "{\"a\":1,}", "tru", "\"unterminated", "{\"a\":1}x", "01", "1.",
            "{\"a\":1,\"a\":2}", "{\"$oid\":\"xyz\"}", "{\"$numberInt\":\"99999999999\"}", "\"\\ud800\"",
        ])
    func malformed(_ text: String) {
        #expect(throws: DataAPIError.self) { try ExtendedJSON.parse(Array(text.utf8)) }
    }

    @Test("nesting depth is bounded")
    func depth() {
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: DataAPIError.self) { try ExtendedJSON.parse(Array(deep.utf8)) }
    }

    @Test("unicode escapes, including surrogate pairs")
    func unicode() throws {
        let value = try ExtendedJSON.parse(Array(#""\u00e9\ud83d\ude97""#.utf8))
        #expect(value == .string("é🚗"))
        #expect(ExtendedJSON.serialize(.string("\u{1}"), mode: .relaxed) == #""\u0001""#)
    }

    @Test("dotted paths reach into documents and arrays")
    func dottedPaths() {
        let doc: Document = ["a": ["b": [10, ["c": "x"]]]]
        #expect(doc.value(atPath: "a.b.0") == .int32(10))
        #expect(doc.value(atPath: "a.b.1.c") == "x")
        #expect(doc.value(atPath: "a.z") == nil)
    }

    @Test("documents keep insertion order and replace in place")
    func ordering() {
        var doc: Document = ["z": 1, "a": 2]
        doc["z"] = 3
        doc["m"] = 4
        doc["a"] = nil
        #expect(doc.keys == ["z", "m"])
        #expect(doc["z"] == .int32(3))
    }

    @Test("ObjectIds are unique and parse back")
    func objectIds() {
        let ids = (0..<1000).map { _ in ObjectId() }
        #expect(Set(ids).count == 1000)
        #expect(ObjectId(hex: ids[0].hex) == ids[0])
        #expect(ObjectId(hex: "zz") == nil)
    }
}
