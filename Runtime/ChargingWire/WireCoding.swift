import Essentials

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What can be wrong with a topic payload, before any domain rule is applied.
public enum ChargingWireErrorCode: String, ErrorCode {
    /// The payload is in none of the topic's forms: not JSON, not an object, not a plain-text status.
    case malformedPayload = "MalformedPayload"
    /// A member is missing, `null` or of the wrong JSON type; the message starts with its name.
    case invalidMember = "InvalidMember"
    /// A value could not be encoded (a non-finite number).
    case unencodable = "Unencodable"
}

/// The error of ChargingWire's coding.
public typealias ChargingWireError = CodedError<ChargingWireErrorCode>

/// The one JSON configuration of every topic payload, made once: keys sorted, slashes not escaped
/// (the bytes the functions have always published), decoding with the platform's defaults.
public enum WireCoding {
    /// The shared encoder (sorted keys, `/` unescaped). Configured here only; never mutated.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The shared decoder. Configured here only; never mutated.
    public static let decoder = JSONDecoder()

    /// The JSON bytes of `value`.
    public static func encode(_ value: some Encodable) throws(ChargingWireError) -> [UInt8] {
        do {
            return [UInt8](try encoder.encode(value))
        } catch {
            throw ChargingWireError(.unencodable, "value cannot be encoded as JSON: \(error)")
        }
    }

    /// Decodes `bytes` as `type`; a failure names the member at fault when there is one.
    public static func decode<Value: Decodable>(
        _ type: Value.Type, from bytes: some Collection<UInt8>
    ) throws(ChargingWireError) -> Value {
        do {
            return try decoder.decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw wireError(error)
        } catch {
            throw ChargingWireError(.malformedPayload, "payload cannot be decoded: \(error)")
        }
    }

    static func wireError(_ error: DecodingError) -> ChargingWireError {
        func member(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context):
            return ChargingWireError(.invalidMember, "\(member(context.codingPath + [key])) is required")
        case .valueNotFound(_, let context) where !context.codingPath.isEmpty:
            return ChargingWireError(.invalidMember, "\(member(context.codingPath)) is required")
        case .typeMismatch(let type, let context) where !context.codingPath.isEmpty:
            return ChargingWireError(.invalidMember, "\(member(context.codingPath)) must be \(jsonKind(type))")
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return ChargingWireError(.invalidMember, "\(member(context.codingPath)) is not valid")
        case .typeMismatch, .valueNotFound:
            return ChargingWireError(.malformedPayload, "payload must be a JSON object")
        default:
            return ChargingWireError(.malformedPayload, "payload is not valid JSON")
        }
    }

    /// How a Swift type of a payload member is called in JSON terms.
    static func jsonKind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Double.Type: return "a number"
        case is Int64.Type: return "an integer"
        default: return "a JSON value of type \(type)"
        }
    }
}
