import ChargingWire
import Testing

/// `text` parsed as OCPP JSON.
private func json(_ text: String) throws -> OcppJSON { try OcppJSON.parse(Array(text.utf8)) }

@Suite("OcppJSON")
struct OcppJSONTests {
    @Test(
        "integers are kept apart from decimals",
        arguments: [
            ("0", .integer(0)), ("-0", .integer(0)), ("42", .integer(42)), ("-17", .integer(-17)),
            ("9223372036854775807", .integer(.max)), ("-9223372036854775808", .integer(.min)),
            ("1.5", .number(1.5)), ("-0.25", .number(-0.25)), ("1.5e-3", .number(0.0015)),
            ("9223372036854775808", .number(9_223_372_036_854_775_808)), ("3.0", .integer(3)),
            ("true", .bool(true)), ("false", .bool(false)), ("null", .null), (#""7""#, .string("7")),
        ] as [(String, OcppJSON)])
    func numbers(_ text: String, _ value: OcppJSON) throws {
        #expect(try json(text) == value)
    }

    @Test("escapes and unicode are decoded")
    func escapes() throws {
        let value = try json(#"["a\"b\\c\/d\n\r\t\b\f", "\u00e9\u20ac\ud83d\ude00", "é€😀", "\u0000x"]"#)
        #expect(value == ["a\"b\\c/d\n\r\t\u{8}\u{c}", "é€😀", "é€😀", "\u{0}x"])
    }

    @Test("serialized compact, keys sorted, slashes and unicode as they are, control characters escaped")
    func serialization() {
        let value: OcppJSON = [
            "b": [1, 2.5, true, nil, ["z": "a/b", "a": []]], "a": "é😀\"\\\n\r\t\u{1}\u{1f}", "c": [:],
        ]
        #expect(value.text == #"{"a":"é😀\"\\\n\r\t\u0001\u001f","b":[1,2.5,true,null,{"a":[],"z":"a/b"}],"c":{}}"#)
        #expect(OcppJSON.number(.infinity).text == "null")
        #expect(OcppJSON.number(-.nan).text == "null")
        #expect(OcppJSON.integer(.min).text == "-9223372036854775808")
    }

    @Test(
        "parse(serialized()) gives the same value back",
        arguments: [
            [:], ["k": "v"], [1, -1, 0.1, 1e21, 1e-7, -2.5e300, "x", [], [[]], nil, false],
            [
                "connectorId": 1,
                "meterValue": [
                    ["timestamp": "2026-12-01T10:00:00Z", "sampledValue": [["value": "1.5", "unit": "kWh"]]]
                ],
                "text": "\u{0}\u{7f}\u{2028}ü\u{1F600}\"\\/",
            ],
        ] as [OcppJSON])
    func roundTrip(_ value: OcppJSON) throws {
        #expect(try OcppJSON.parse(value.serialized()) == value)
        #expect(try OcppJSON.parse(value.serialized()).serialized() == value.serialized())
    }

    @Test(
        "malformed text is a MalformedPayload error",
        arguments: ["", " ", "{", "[1,]", "{'a':1}", "nul", "{} x", #"{"a" 1}"#, "01", "1.", "+1", "\"\\x\"", "\u{1}"])
    func malformed(_ text: String) {
        #expect {
            _ = try json(text)
        } throws: { error in
            (error as? ChargingWireError)?.code == .malformedPayload
        }
    }

    @Test(
        "strictness: trailing commas, bad escapes, lone surrogates, invalid UTF-8, overflow",
        arguments: [
            "[1,]", #"{"a":1,}"#, "[,1]", #"{"a":1,,"b":2}"#, #""\ud800""#, #""\ud800\u0041""#, #""\udc00""#,
            #""\u12g4""#, "1e400", "-", "-a", "1e", "1e+", ".5", "[1 2]", #"{"a":1 "b":2}"#, "{1:2}", "tru", "nulll",
            "\"a\tb\"", "/* c */ 1", "NaN", "Infinity",
        ])
    func strict(_ text: String) {
        #expect(throws: ChargingWireError.self) { _ = try json(text) }
    }

    @Test("bytes that are not UTF-8 are refused, inside and outside strings")
    func invalidUTF8() {
        for bytes: [UInt8] in [
            [0x22, 0xC3, 0x22], [0x22, 0xFF, 0x61, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0xC3, 0xA9],
        ] {
            #expect(throws: ChargingWireError.self) { _ = try OcppJSON.parse(bytes) }
        }
    }

    @Test("nesting is bounded: 64 levels are read, deeper text is refused, a flood of brackets does not crash")
    func depth() throws {
        let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try json(deep).serialized().count == 128)
        #expect(try json(String(repeating: #"{"a":"#, count: 64) + "1" + String(repeating: "}", count: 64)) != .null)
        #expect(throws: ChargingWireError.self) {
            _ = try json(String(repeating: "[", count: 65) + String(repeating: "]", count: 65))
        }
        #expect(throws: ChargingWireError.self) { _ = try json(String(repeating: "[", count: 131_072)) }
    }

    @Test("whitespace around and between tokens; a repeated name keeps its last value")
    func whitespaceAndDuplicates() throws {
        #expect(try json(" \t\r\n[ 1 , { \"a\" : 2 } ]\n") == [1, ["a": 2]])
        #expect(try json(#"{"a":1,"a":2}"#) == ["a": 2])
        #expect(try OcppJSON.parse(Array("[2,\"x\"]".utf8)[...]) == [2, "x"])
    }

    @Test("accessors read one case each; doubleValue reads integers too")
    func accessors() {
        let value: OcppJSON = ["s": "x", "i": 3, "d": 2.5, "b": true, "a": [1], "o": ["k": nil]]
        #expect(value["s"]?.stringValue == "x")
        #expect(value["i"]?.int64Value == 3)
        #expect(value["i"]?.doubleValue == 3)
        #expect(value["d"]?.doubleValue == 2.5)
        #expect(value["d"]?.int64Value == nil)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["o"]?.objectValue == ["k": .null])
        #expect(value["o"]?["k"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(OcppJSON.string("x")["s"] == nil)
        #expect(value["i"]?.stringValue == nil)
        #expect(
            [value["s"], value["i"], value["d"], value["b"], value["a"], value["o"], .null].map { $0?.typeName }
                == ["string", "integer", "number", "boolean", "array", "object", "null"])
    }
}
