import Foundation
import FunctionRuntime

/// The runner's one JSON coder pair, made once: what it writes has sorted keys and unescaped slashes (the
/// bytes tests compare), what it reads is plain JSON.
enum RunnerJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    static let decoder = JSONDecoder()
}

/// A function's output as the decoder reads it (when the direct reader is not sure of it): a format 2.0 response
/// (an object with `statusCode`), one that has `statusCode` but is not a valid response, or any other JSON value.
/// Decoding fails only for non-JSON.
enum FunctionOutput: Decodable {
    case response(APIGatewayV2Response)
    case malformedResponse
    case other

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        guard let object = try? decoder.container(keyedBy: Key.self),
            object.contains(Key(stringValue: "statusCode"))
        else {
            self = .other
            return
        }
        if let response = try? APIGatewayV2Response(from: decoder) {
            self = .response(response)
        } else {
            self = .malformedResponse
        }
    }
}
