import ChargingWire

/// One node of an OCPP 1.6 JSON schema, in the subset the official `.json` schemas use: strings with `maxLength`
/// or `enum`, `format: date-time`, integers with a `minimum`, numbers with `multipleOf`, booleans, objects with
/// required members and `additionalProperties: false`, arrays with `minItems`. Built once in static lets.
struct OcppSchema: Sendable {
    indirect enum Kind: Sendable {
        case string(maxLength: Int?, allowed: Set<String>?)
        case dateTime
        case integer(minimum: Int64?)
        case number(multipleOf: Double?)
        case boolean
        case object(OcppObjectSchema)
        case array(items: OcppSchema, minItems: Int)
    }

    let kind: Kind

    /// A string of at most `maxLength` characters (OCPP's CiStringNType), any when nil.
    static func string(maxLength: Int? = nil) -> OcppSchema {
        OcppSchema(kind: .string(maxLength: maxLength, allowed: nil))
    }

    /// OCPP's CiString20Type (idTag, parentIdTag, vendor, model…).
    static let ciString20 = string(maxLength: 20)

    /// A string that is one of `values` (case-sensitive, as OCPP's enumerations are).
    static func oneOf(_ values: String...) -> OcppSchema { oneOf(values) }

    /// A string that is one of `values`.
    static func oneOf(_ values: [String]) -> OcppSchema {
        OcppSchema(kind: .string(maxLength: nil, allowed: Set(values)))
    }

    /// An RFC 3339 date-time string (``OcppSchemas/parseDateTime(_:)``).
    static let dateTime = OcppSchema(kind: .dateTime)

    /// An integer (a JSON number without fraction), at least `minimum` when given.
    static func integer(minimum: Int64? = nil) -> OcppSchema { OcppSchema(kind: .integer(minimum: minimum)) }

    /// Any JSON number (integer or decimal), a multiple of `multipleOf` when given.
    static func number(multipleOf: Double? = nil) -> OcppSchema { OcppSchema(kind: .number(multipleOf: multipleOf)) }

    static let boolean = OcppSchema(kind: .boolean)

    /// An object with exactly the declared members (`additionalProperties: false`).
    static func object(_ members: OcppSchemaMember...) -> OcppSchema {
        OcppSchema(kind: .object(OcppObjectSchema(members)))
    }

    /// An array whose items all match `items`, with at least `minItems` of them.
    static func array(of items: OcppSchema, minItems: Int = 0) -> OcppSchema {
        OcppSchema(kind: .array(items: items, minItems: minItems))
    }
}

/// One declared member of an object schema.
struct OcppSchemaMember: Sendable {
    let name: String
    let schema: OcppSchema
    let isRequired: Bool

    /// A member the payload must hold (JSON schema `required`).
    static func required(_ name: String, _ schema: OcppSchema) -> OcppSchemaMember {
        OcppSchemaMember(name: name, schema: schema, isRequired: true)
    }

    /// A member the payload may hold.
    static func optional(_ name: String, _ schema: OcppSchema) -> OcppSchemaMember {
        OcppSchemaMember(name: name, schema: schema, isRequired: false)
    }
}

/// The members of an object schema, in declaration order (the order violations are looked for), and by name.
struct OcppObjectSchema: Sendable {
    let members: [OcppSchemaMember]
    let byName: [String: OcppSchema]

    init(_ members: [OcppSchemaMember]) {
        self.members = members
        self.byName = Dictionary(members.map { ($0.name, $0.schema) }, uniquingKeysWith: { first, _ in first })
    }
}

/// The schemas of one action: its request (`.req`) and, when known, its confirmation (`.conf`).
struct OcppActionSchemas: Sendable {
    let request: OcppSchema
    let confirmation: OcppSchema

    func schema(_ kind: OcppMessageKind) -> OcppSchema {
        switch kind {
        case .request: return request
        case .confirmation: return confirmation
        }
    }
}
