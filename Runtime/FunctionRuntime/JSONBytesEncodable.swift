/// One member of ``JSONBytesWriter/object(inOrder:)``: its name and value as `encode` writes them.
public enum JSONMember: Sendable {
    case string(StaticString, String)
    /// A `Double`, as the encoder writes it.
    case number(StaticString, Double)
    case integer(StaticString, Int64)
}

/// An `Encodable` answer that also writes its JSON directly, byte for byte what ``JSONCoding/encoder`` writes for
/// it (``APIGatewayV2Response/json(_:status:)`` uses the direct path; the encoder when it throws).
public protocol JSONBytesEncodable: Encodable {
    /// Writes the value as ``JSONCoding/encoder`` encodes it (keys in UTF-8 byte order).
    func writeJSON(to out: inout JSONBytesWriter) throws(JSONBytesWriter.Unencodable)

    /// About how many bytes ``writeJSON(to:)`` writes (the writer's first buffer; it grows past it).
    var estimatedJSONBytes: Int { get }
}

extension JSONBytesEncodable {
    public var estimatedJSONBytes: Int { 512 }
}

extension APIGatewayV2Response {
    /// A JSON response with `content-type: application/json`, written directly; through ``JSONCoding/encoder``
    /// when the value holds something the writer leaves to it (its error is thrown then).
    public static func json<T: JSONBytesEncodable>(_ value: T, status: Int = 200) throws -> APIGatewayV2Response {
        // A 200 object goes out as the output itself (``outputBytes()``): written plain. Any other answer goes in
        // the response's `body` string: written as string content, so it is not escaped a second time.
        var out = JSONBytesWriter(capacity: value.estimatedJSONBytes, asStringContent: status != 200)
        do throws(JSONBytesWriter.Unencodable) {
            try value.writeJSON(to: &out)
        } catch {
            return try encodedJSON(value, status: status)
        }
        var response = APIGatewayV2Response(statusCode: status, headers: ["content-type": "application/json"])
        if status != 200 {
            response.storedBody = .escapedJSON(out.bytes)
        } else if out.isObjectWithoutStatusCode {
            response.storedBody = .json(out.bytes)
        } else {
            response.storedBody = .text(String(decoding: out.bytes, as: UTF8.self))
        }
        return response
    }
}

extension JSONBytesWriter {
    /// An object of `members`, in the order given (the encoder's sorted order is the caller's to keep);
    /// ``Unencodable`` when a number is not finite.
    public mutating func object(inOrder members: [JSONMember]) throws(Unencodable) {
        beginObject()
        for member in members {
            switch member {
            case .string(let name, let value):
                key(name)
                string(value)
            case .number(let name, let value):
                key(name)
                try double(value)
            case .integer(let name, let value):
                key(name)
                integer(value)
            }
        }
        endObject()
    }
}
