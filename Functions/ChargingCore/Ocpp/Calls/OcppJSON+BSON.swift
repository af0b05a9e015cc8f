import BSON
import ChargingWire

extension OcppJSON {
    /// The payload as a BSON value, to be stored as it is (integers as int64, numbers as double).
    var bson: BSONValue {
        switch self {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .integer(let value): return .int64(value)
        case .number(let value): return .double(value)
        case .string(let value): return .string(value)
        case .array(let items): return .array(items.map(\.bson))
        case .object(let members): return .document(Document(members.sorted { $0.key < $1.key }.map { ($0, $1.bson) }))
        }
    }

    /// A stored payload back as OCPP JSON; BSON-only types (dates, object ids) become their Extended JSON
    /// strings, which a stored payload never holds.
    init(bson value: BSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int32(let number): self = .integer(Int64(number))
        case .int64(let number): self = .integer(number)
        case .double(let number): self = .number(number)
        case .string(let text): self = .string(text)
        case .array(let items): self = .array(items.map(OcppJSON.init(bson:)))
        case .document(let document):
            self = .object(Dictionary(document.map { ($0.key, OcppJSON(bson: $0.value)) }, uniquingKeysWith: { $1 }))
        case .datetime, .objectId: self = .string(ExtendedJSON.serialize(value, mode: .relaxed))
        }
    }
}
