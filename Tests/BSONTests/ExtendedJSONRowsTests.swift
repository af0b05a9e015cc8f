import BSON
import Testing

/// The row reader and the compact wrapper reading are shortcuts: whatever they accept, they read exactly as
/// the general parse does, and whatever is not their plain shape they leave to it.
@Suite("Extended JSON rows")
struct ExtendedJSONRowsTests {
    static let fields = ExtendedJSONFields(["_id", "n", "when", "x", "tag"])

    /// A value, or the error it gives, as comparable text (NaN is not equal to itself).
    static func outcome(_ text: String) -> String {
        do {
            return "value " + ExtendedJSON.serialize(try ExtendedJSON.parse(text), mode: .canonical)
        } catch {
            return "error " + error.message
        }
    }

    @Test(
        "a compact wrapper reads as the same wrapper written with spaces",
        arguments: [
            ("$numberLong", "5"), ("$numberLong", "-0"), ("$numberLong", "0012"), ("$numberLong", "+5"),
            ("$numberLong", ""), ("$numberLong", "-"), ("$numberLong", "9223372036854775807"),
            ("$numberLong", "9223372036854775808"), ("$numberLong", "-9223372036854775808"),
            ("$numberLong", "-9223372036854775809"), ("$numberLong", "1e3"), ("$numberLong", " 5"),
            ("$numberLong", "0000000000000000000000012"), ("$numberLong", "-00009223372036854775808"),
            ("$numberLong", "99999999999999999999"), ("$numberLong", "00"),
            ("$numberInt", "2147483647"), ("$numberInt", "2147483648"), ("$numberInt", "-2147483648"),
            ("$numberInt", "x"), ("$numberDouble", "20.0"), ("$numberDouble", "1e308"), ("$numberDouble", "1e999"),
            ("$numberDouble", "NaN"), ("$numberDouble", "-Infinity"), ("$numberDouble", ""),
            ("$numberDouble", "abc"), ("$numberDouble", "-0.0"), ("$numberDouble", "0x1p3"),
        ])
    func compactWrappers(key: String, text: String) {
        let compact = #"{"\#(key)":"\#(text)"}"#
        let spaced = #"{ "\#(key)" : "\#(text)" }"#
        #expect(Self.outcome(compact) == Self.outcome(spaced))
        #expect(Self.outcome(#"{"$date":\#(compact)}"#) == Self.outcome(#"{ "$date" : \#(spaced) }"#))
    }

    @Test("a compact wrapper past the depth limit is refused as the general parse refuses it")
    func compactWrapperDepth() throws {
        for limit in 0...3 {
            for text in [#"[{"$date":{"$numberLong":"5"}}]"#, #"{"a":{"$numberLong":"5"}}"#] {
                let compact = Result(catching: { try ExtendedJSON.parse(Array(text.utf8), maximumDepth: limit) })
                let spaced = Result(catching: {
                    try ExtendedJSON.parse(Array(text.replacing(":", with: " : ").utf8), maximumDepth: limit)
                })
                #expect((try? compact.get()) == (try? spaced.get()), "limit \(limit): \(text)")
            }
        }
    }

    static let oddRows = [
        #"{"_id":"a","n":{"$numberLong":"7"},"when":{"$date":{"$numberLong":"1796174355084"}},"x":null}"#,
        #"{"n":5,"x":2.5,"tag":"caf\u00e9 \"q\"","extra":{"deep":[1,{"$numberDouble":"NaN"}]},"when":"t"}"#,
        #"{}"#, #"{"only":1}"#, #"{"tag":"x"}"#,
        #"{ "_id" : "spaced" , "n" : { "$numberLong" : "8" } }"#,
        #"{"_id":"b","when":{"$date":"2026-11-26T11:09:55.5Z"},"x":[{"a":1}],"unknown":true,"other":false}"#,
    ]

    @Test("rows read from a reply hold what the documents of the general parse hold")
    func rowsMatchDocuments() throws {
        let reply = #"{"documents":[\#(Self.oddRows.joined(separator: ","))],"extra":{"k":[]}}"#
        let bytes = Array(reply.utf8)
        let rows = try #require(ExtendedJSON.rows(in: bytes, key: "documents", fields: Self.fields))
        guard case .array(let items)? = try ExtendedJSON.parseDocument(bytes)["documents"] else {
            Issue.record("no documents")
            return
        }
        let documents = items.compactMap(\.documentValue)
        let general = ExtendedJSONRows(documents: documents, fields: Self.fields)
        #expect(rows.count == Self.oddRows.count)
        #expect(general.count == rows.count)
        for row in 0..<rows.count {
            for slot in Self.fields.names.indices {
                let fast = rows[row, slot].map { ExtendedJSON.serialize($0, mode: .canonical) }
                let slow = general[row, slot].map { ExtendedJSON.serialize($0, mode: .canonical) }
                #expect(fast == slow, "row \(row) field \(Self.fields.names[slot])")
            }
        }
        #expect(
            ExtendedJSON.rows(in: Array(#" {"documents":[]} "#.utf8), key: "documents", fields: Self.fields)?.count == 0
        )
    }

    @Test(
        "replies that are not the plain shape are left to the general parse",
        arguments: [
            #"{"documents":[{"_id":"a","_id":"b"}]}"#, #"{"documents":[{"x":1,"y":2,"y":3}]}"#,
            #"{"documents":[{"\u005fid":"a"}]}"#, #"{"documents":[{"caf\#u{e9}":1}]}"#,
            #"{"documents":[{"$numberLong":"1"}]}"#, #"{"documents":[{"$gt":1,"a":2}]}"#,
            #"{"documents":{"_id":"a"}}"#, #"{"documents":[1]}"#, #"{"documents":null}"#, #"{"other":[]}"#,
            #"{"documents":[],"documents":[]}"#, #"{"documents":[]} x"#, #"[{"documents":[]}]"#,
            #"{"documents":[{"n":{"$numberLong":"x"}}]}"#, #"{"documents":[{"a":1,}]}"#, #"{"documents":[{"a"}]}"#,
            #"{"documents":[{"a":1}"#,
        ])
    func notPlain(reply: String) {
        #expect(ExtendedJSON.rows(in: Array(reply.utf8), key: "documents", fields: Self.fields) == nil)
    }
}

/// The compact `$numberDouble` reading takes a shortcut for short decimals (an integer divided by a power of ten).
@Suite("Compact doubles")
struct CompactDoubleTests {
    /// Decimal texts around the shortcut's limits (15 digits, a point, a sign), and random ones.
    static func texts() -> [String] {
        var texts = [
            "0.0", "-0.0", "0", "-0", "1.", ".5", "-.5", "1.2.3", "--1", "1-", "00.10", "999999999999999",
            "9999999999999999", "99999999999999.9", "0.000000000000001", "0.0000000000000001", "123456789012345.0",
            "2.2", "6.1", "11.0", "80.0", "0.1", "0.3", "15.85", "1e5", "1E-3", "+1.5", "1.5 ", "4503599627370497.5",
        ]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<3_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let digits = Int(state >> 60) + 1
            var text = String(state % 10_000_000_000_000_000_000).prefix(digits)
            let point = Int((state >> 20) % UInt64(digits + 1))
            if point < text.count { text.insert(".", at: text.index(text.startIndex, offsetBy: point)) }
            texts.append((state & 1 == 0 ? "-" : "") + text)
        }
        return texts
    }

    @Test("a compact double is exactly what Double(_:) reads from its text")
    func decimals() throws {
        for text in Self.texts() {
            let compact = Result { try ExtendedJSON.parse(#"{"$numberDouble":"\#(text)"}"#) }
            let expected = Double(text)
            switch compact {
            case .success(.double(let value)):
                #expect(value.bitPattern == expected?.bitPattern, "\(text)")
            case .success(let other):
                Issue.record("\(text) read as \(other)")
            case .failure:
                #expect(expected == nil, "\(text) refused, Double(_:) reads \(String(describing: expected))")
            }
        }
    }
}
