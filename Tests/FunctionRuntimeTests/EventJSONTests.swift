import Foundation
import FunctionRuntime
import Testing

/// The direct JSON writer and reader of the event and response: the same bytes as `JSONCoding.encoder` and the
/// same values as `JSONDecoder`, or no answer (then the decoder decides).
@Suite("API Gateway event JSON without the coders")
struct EventJSONTests {
    static let context = APIGatewayV2Request.Context(
        accountId: "000000000000", apiId: "evcsm-local", domainName: "127.0.0.1:5274",
        http: .init(method: "GET", path: "/api/x", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "wrk"),
        requestId: "3f2a9c1e-77b0-4d21-9a4e-0c5b8e7f6a12", routeKey: "GET /api/x", stage: "$default",
        time: "01/Dec/2026:09:52:14 +0000", timeEpoch: 1_764_582_734_999)

    static let requests: [APIGatewayV2Request] = [
        APIGatewayV2Request(
            routeKey: "GET /api/x", rawPath: "/api/x", rawQueryString: "a=1&b=%C3%A9",
            headers: ["host": "127.0.0.1:5274", "x-b": "2", "x-a": "1", "a_b": "u", "a-b": "d", "A": "upper"],
            queryStringParameters: ["a": "1", "b": "é"], requestContext: context),
        APIGatewayV2Request(
            routeKey: "POST /api/{id}", rawPath: "/api/s%2F1", cookies: ["k1=v1", "k2=v2"],
            headers: ["content-type": "application/json"], pathParameters: ["id": "s/1"],
            stageVariables: ["stage": "local"], requestContext: context,
            body: "{\"q\":\"a\\\"b\\\\c/d\",\"ctl\":\"\u{1}\u{8}\u{c}\n\r\t\u{1f}\",\"u\":\"é😀\u{2028}\"}",
            isBase64Encoded: false),
        APIGatewayV2Request(
            routeKey: "$default", rawPath: "/", headers: [:],
            requestContext: .init(http: .init(method: "PUT", path: "/", protocol: nil), requestId: "r"),
            body: "AAEC", isBase64Encoded: true),
    ]

    @Test("an event's bytes are the encoder's, byte for byte")
    func requestBytes() throws {
        for request in Self.requests {
            let expected = try JSONCoding.encoder.encode(request)
            #expect(String(decoding: request.jsonBytes(), as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
    }

    @Test("a response's bytes are the encoder's, byte for byte")
    func responseBytes() throws {
        let responses = [
            APIGatewayV2Response(statusCode: 200),
            APIGatewayV2Response(
                statusCode: 201, headers: ["content-type": "application/json", "X-Up": "1"],
                body: #"{"path":"a/b","text":"\"quoted\"\n"}"#, cookies: ["a=1", "b=2; Path=/"]),
            APIGatewayV2Response(statusCode: -1, body: "AAEC", isBase64Encoded: true),
        ]
        for response in responses {
            let expected = try JSONCoding.encoder.encode(response)
            #expect(response.jsonBytes() == Array(expected))
        }
    }

    @Test("events read directly equal the decoder's, for what the runner writes and for AWS's own events")
    func readRequests() throws {
        var inputs = Self.requests.map { $0.jsonBytes() }
        inputs.append(try fixture("events/apigw-v2-get-session.json"))
        inputs.append(try fixture("events/apigw-v2-post-base64.json"))
        inputs.append(
            Array(#"{"requestContext":{"http":{"method":"GET","path":"/"},"requestId":"r"},"body":null}"#.utf8))
        // A surrogate pair: decoded by JSONScanner as JSONDecoder decodes it.
        inputs.append(
            Array(
                #"{"body":"\ud83d\ude00 \"q\"","requestContext":{"http":{"method":"GET","path":"/"},"requestId":"r"}}"#
                    .utf8))
        inputs.append(
            Array(
                #" { "version" : "2.0" , "headers" : { "X-Up" : "\u0041" } , "requestContext" : { "requestId" : "r", "http" : { "method" : "GET" , "path" : "/" , "x" : [ 1 , true , null , { } ] } } } "#
                    .utf8))
        // Unknown members of any kind are checked and skipped: fractions, exponents, escapes, nesting.
        inputs.append(
            Array(
                #"{"requestContext":{"http":{"method":"GET","path":"/"},"requestId":"r"},"x":[1.5,-2E+3,"\n\u00e9",{"y":{}}]}"#
                    .utf8))
        for input in inputs {
            let read = try #require(APIGatewayV2Request(jsonBytes: input), "\(String(decoding: input, as: UTF8.self))")
            #expect(read == (try JSONDecoder().decode(APIGatewayV2Request.self, from: Data(input))))
        }
    }

    @Test(
        "inputs the reader does not vouch for are left to the decoder",
        arguments: [
            #"{"requestContext":{"http":{"method":"GET","path":"/"},"requestId":"r"}"#,  // truncated
            #"{"requestContext":{"http":{"method":"GET","path":"/"},"requestId":"r"},"x":01}"#,  // not a number
            #"{"requestContext":{"http":{"method":"GET","path":"/"},"requestId":"r","requestId":"s"}}"#,  // duplicate
            #"{"requestContext":{"http":{"method":"GET","path":"/"},"requestId":null}}"#,  // required null
            #"{"headers":{"a":"1","A":"2"},"requestContext":{"http":{"method":"GET","path":"/"},"requestId":"r"}}"#,
            #"{"body":"\ud83d","requestContext":{"http":{"method":"GET","path":"/"},"requestId":"r"}}"#,  // unpaired
            #"{"isBase64Encoded":"yes","requestContext":{"http":{"method":"GET","path":"/"},"requestId":"r"}}"#,
            #"[1,2]"#, "not json", "",
        ])
    func unsureRequests(input: String) {
        #expect(APIGatewayV2Request(jsonBytes: Array(input.utf8)) == nil)
    }

    @Test("responses read directly equal the decoder's; anything else is left to it")
    func readResponses() throws {
        let plain = [
            #"{"statusCode":200}"#,
            #"{"statusCode":201,"headers":{"content-type":"application/json"},"body":"{\"a\":\"\\u00e9\"}","cookies":["c=1"],"isBase64Encoded":false,"multiValueHeaders":{}}"#,
            #"{"body":null,"statusCode":-5,"headers":null,"cookies":null,"isBase64Encoded":null}"#,
        ]
        for text in plain {
            let input = Array(text.utf8)
            let read = try #require(APIGatewayV2Response(jsonBytes: input))
            #expect(read == (try JSONDecoder().decode(APIGatewayV2Response.self, from: Data(input))))
        }
        for text in [
            #"{"hello":"world"}"#, #"{"statusCode":"200"}"#, #"{"statusCode":null}"#, #"{"statusCode":200.0}"#,
            #"{"statusCode":200,"headers":{"a":1}}"#, #"{"statusCode":200"#, #"{"statusCode":200} x"#, "42",
            #"{"statusCode":01}"#, #"{"statusCode":99999999999999999999}"#,
        ] {
            #expect(APIGatewayV2Response(jsonBytes: Array(text.utf8)) == nil, "\(text)")
        }
    }

    @Test("escaped strings read directly equal the decoder's: runs between escapes, non-ASCII and errors after one")
    func escapedRuns() throws {
        let session = #"{\"sessionId\":\"s-1\",\"note\":\"caf\u00e9 – ok\\n\",\"path\":\"a\/b\"}"#
        let bodies = [
            String(repeating: session + ",", count: 200), #"\"x"#, #"x\""#, #"\\\\"#, #"\ud83d\ude00 é \t"#,
            #"é\né"#,
        ]
        for body in bodies {
            let input = Array(#"{"statusCode":200,"body":"\#(body)"}"#.utf8)
            let read = try #require(APIGatewayV2Response(jsonBytes: input), "\(body.prefix(40))")
            #expect(read == (try JSONDecoder().decode(APIGatewayV2Response.self, from: Data(input))))
        }
        // After an escape, a raw control character, bad UTF-8 or the end of input still fail the read.
        for tail in [[0x5C, 0x6E, 0x61, 0x0A], [0x5C, 0x6E, 0xFF, 0x22], [0x5C, 0x6E, 0x61, 0x61]] as [[UInt8]] {
            let input = Array(#"{"statusCode":200,"body":""#.utf8) + tail + Array("}".utf8)
            #expect(APIGatewayV2Response(jsonBytes: input) == nil)
            #expect((try? JSONDecoder().decode(APIGatewayV2Response.self, from: Data(input))) == nil)
        }
    }

    /// A value whose strings hold every kind of escape, for ``directResponses()``.
    struct Tricky: JSONBytesEncodable {
        var name: String
        var values: [String]
        var count: Int64

        func writeJSON(to out: inout JSONBytesWriter) throws(JSONBytesWriter.Unencodable) {
            out.beginObject()
            out.key("count")
            out.integer(count)
            out.member("name", name)
            out.key("values")
            out.array(values)
            out.endObject()
        }
    }

    @Test("a direct JSON response (its body written as string content) is the encoder's, byte for byte")
    func directResponses() throws {
        let long = String(repeating: #"a "quoted" \ run/"#, count: 8)
        let strings = ["", "plain", "q\"q", "b\\s", "\u{1}\u{8}\u{c}\n\r\t\u{1f}", "é😀\u{2028}", long, "/"]
        for name in strings {
            let value = Tricky(name: name, values: strings, count: -42)
            let direct = try APIGatewayV2Response.json(value, status: 201)
            let text = String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
            let expected = APIGatewayV2Response(
                statusCode: 201, headers: ["content-type": "application/json"], body: text)
            #expect(direct.body == text)
            #expect(direct == expected)
            #expect(
                String(decoding: direct.jsonBytes(), as: UTF8.self)
                    == String(decoding: try JSONCoding.encoder.encode(expected), as: UTF8.self))
            #expect(try JSONCoding.encoder.encode(direct) == (try JSONCoding.encoder.encode(expected)))
        }
    }
}
