import Foundation
import FunctionRuntime
import Testing

/// A JSONBytesEncodable answer whose members are given as they are written (nested objects included).
private struct Written: JSONBytesEncodable {
    var write: @Sendable (inout JSONBytesWriter) -> Void

    func writeJSON(to out: inout JSONBytesWriter) throws(JSONBytesWriter.Unencodable) { write(&out) }
    /// Not used: the direct writer never throws here.
    func encode(to encoder: any Encoder) throws {}
}

@Suite("A 200 JSON object answer is the function's whole output (HTTP API format 2.0 inference)")
struct FunctionOutputTests {
    /// The strings of ``EventJSONTests/directResponses()``: every kind of escape, non-ASCII, a long run.
    let strings = [
        "", "plain", "q\"q", "b\\s", "\u{1}\u{8}\u{c}\n\r\t\u{1f}", "é😀\u{2028}",
        String(repeating: #"a "quoted" \ run/"#, count: 8), "/",
    ]

    @Test("the output is the encoder's JSON of the value; the envelope, when asked for, is the encoder's too")
    func bareOutput() throws {
        for name in strings {
            let value = EventJSONTests.Tricky(name: name, values: strings, count: 7)
            let response = try APIGatewayV2Response.json(value)
            let encoded = Array(try JSONCoding.encoder.encode(value))
            #expect(response.outputBytes() == encoded)
            #expect(response.body == String(decoding: encoded, as: UTF8.self))
            let expected = APIGatewayV2Response(
                statusCode: 200, headers: ["content-type": "application/json"],
                body: String(decoding: encoded, as: UTF8.self))
            #expect(response == expected)
            #expect(response.jsonBytes() == Array(try JSONCoding.encoder.encode(expected)))
            // What API Gateway (and the runner) reads back from that output: the same answer.
            #expect(APIGatewayV2Response.reading(output: response.outputBytes()) == .body)
            #expect(APIGatewayV2Response(jsonObjectBody: response.outputBytes()) == expected)
        }
    }

    @Test("anything else a 200 answer carries, or a top-level statusCode, keeps the envelope")
    func envelopeKept() throws {
        let value = EventJSONTests.Tricky(name: "n", values: [], count: 1)
        var withHeader = try APIGatewayV2Response.json(value)
        withHeader.headers["cache-control"] = "no-store"
        var withCookie = try APIGatewayV2Response.json(value)
        withCookie.cookies = ["a=1"]
        let created = try APIGatewayV2Response.json(value, status: 201)
        for response in [withHeader, withCookie, created] {
            #expect(response.outputBytes() == response.jsonBytes())
            #expect(APIGatewayV2Response(jsonBytes: response.outputBytes()) == response)
        }
        let named = try APIGatewayV2Response.json(
            Written { out in
                out.beginObject()
                out.member("statusCode", "404")
                out.endObject()
            })
        #expect(named.outputBytes() == named.jsonBytes())
        #expect(named.body == #"{"statusCode":"404"}"#)
        let map = try APIGatewayV2Response.json(Written { $0.object(["statusCode": "1"]) })
        #expect(map.outputBytes() == map.jsonBytes())
        // Only the outermost object's own members count: a nested statusCode is body content.
        let nested = try APIGatewayV2Response.json(
            Written { out in
                out.beginObject()
                out.key("inner")
                out.object(["statusCode": "1"])
                out.endObject()
            })
        #expect(nested.outputBytes() == Array(#"{"inner":{"statusCode":"1"}}"#.utf8))
    }

    @Test(
        "objects without statusCode are read as the body, checked to the end",
        arguments: [
            #"{}"#, #" { "a" : [ 1 , -0.5e+3 , 2E-2 , 0 , true , false , null , { } , [ ] ] } "#,
            #"{"s":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t","é":"é😀"}"#,
            #"{"a":{"a":{"a":{"statusCode":1}}},"body":"text","headers":{"x":"y"},"cookies":["c"]}"#,
            #"{"d":1.25,"n":-123,"e":1E+2}"#,
        ])
    func bodies(text: String) throws {
        let bytes = Array(text.utf8)
        #expect(APIGatewayV2Response.reading(output: bytes) == .body)
        #expect((try? JSONSerialization.jsonObject(with: Data(bytes))) != nil)
    }

    @Test(
        "what the reader does not vouch for is left to the decoder",
        arguments: [
            #"{"a":01}"#, #"{"a":1.}"#, #"{"a":-}"#, #"{"a":.5}"#, #"{"a":1e}"#, #"{"a":"x}"#, "{\"a\":\"\u{1}\"}",
            #"{"a":"\x"}"#, #"{"a":"\ud83d"}"#, #"{"a":[1,]}"#, #"{"a":{"b"}}"#, #"{"a":1,}"#, #"{"a":1} x"#,
            #"{"a":tru}"#, #"{"a":1"#, #"[1,2]"#, #""text""#, "42", "", "not json",
            #"{"body":{"a":1}}"#, #"{"headers":{"a":1}}"#, #"{"statusCode":"200"}"#,
            String(repeating: #"{"a":"#, count: 70) + "1" + String(repeating: "}", count: 70),
        ])
    func unsure(text: String) {
        #expect(APIGatewayV2Response.reading(output: Array(text.utf8)) == .unsure)
    }

    @Test("invalid UTF-8 in a string is not vouched for")
    func invalidUTF8() {
        for bad: [UInt8] in [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80]] {
            let output = Array(#"{"a":"x"#.utf8) + bad + Array(#""}"#.utf8)
            #expect(APIGatewayV2Response.reading(output: output) == .unsure)
            #expect((try? JSONSerialization.jsonObject(with: Data(output))) == nil)
        }
    }
}
