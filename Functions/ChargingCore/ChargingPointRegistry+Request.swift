import BSON

/// A validated `POST /chargers` body: `{chargePointId, ocpp?, connectors?: [{connectorId, maxPower}]}`.
///
/// - `chargePointId`: 1-64 characters from `A-Z a-z 0-9 . _ -`, starting with a letter or digit
///   (`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`): it is the MQTT username and client id, a topic level
///   (`chargers/<id>/meter`) and an OCPP identity in URL paths, so no `/`, `+`, `#`, `:`, `%` or space, and never `.`,
///   `..` or a leading `-` (an option to a command line tool).
/// - `ocpp`: boolean, default false.
/// - `connectors`: 1-16 objects with an integer `connectorId` 1…99 and `maxPower` (kW) greater than 0 and at most 350;
///   a connector listed again takes the later `maxPower` (JSON Schema cannot state "ids do not repeat", and the
///   OpenAPI document accepts exactly what this accepts); default one connector `{connectorId: 1, maxPower: 22}`
///   (``defaultConnectors``).
///
/// Unknown fields are ignored; `null` members are rejected, as the OpenAPI document declares none nullable.
public struct ChargerRegistrationRequest: Sendable, Hashable {
    public var chargePointId: String
    public var ocpp: Bool
    public var connectors: [ChargerConnector]

    /// The connectors of a registration that names none.
    public static let defaultConnectors = [ChargerConnector(connectorId: 1, maxPower: 22)]
    /// The most connectors a registration may list.
    public static let maxConnectors = 16
    /// The accepted connector ids.
    public static let connectorIdRange = 1...99

    public init(chargePointId: String, ocpp: Bool = false, connectors: [ChargerConnector] = defaultConnectors) {
        self.chargePointId = chargePointId
        self.ocpp = ocpp
        self.connectors = connectors
    }

    /// True for an id matching `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`.
    public static func isValidChargePointID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        func alphanumeric(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
        }
        guard let first = bytes.first, alphanumeric(first), bytes.count <= StartRequest.maxIDLength else {
            return false
        }
        return bytes.allSatisfy { alphanumeric($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }

    /// Validates a request object; throws a 400 ``ChargingError`` naming the first offending field.
    public static func validate(_ object: Document) throws(ChargingError) -> ChargerRegistrationRequest {
        let fields = RequestFields(object, nullMeansAbsent: false)
        guard let idValue = try fields.value("chargePointId") else { throw .invalid("chargePointId", "is required") }
        guard let id = idValue.stringValue else { throw .invalid("chargePointId", "must be a string") }
        guard isValidChargePointID(id) else {
            throw .invalid(
                "chargePointId",
                "must be 1-\(StartRequest.maxIDLength) characters from A-Z a-z 0-9 . _ - starting with a letter or digit"
            )
        }
        var ocpp = false
        if let value = try fields.value("ocpp") {
            guard let flag = value.boolValue else { throw .invalid("ocpp", "must be a boolean") }
            ocpp = flag
        }
        var connectors = defaultConnectors
        if let value = try fields.value("connectors") {
            connectors = try validateConnectors(value)
        }
        return ChargerRegistrationRequest(chargePointId: id, ocpp: ocpp, connectors: connectors)
    }

    private static func validateConnectors(_ value: BSONValue) throws(ChargingError) -> [ChargerConnector] {
        guard let items = value.arrayValue else { throw .invalid("connectors", "must be an array") }
        guard (1...maxConnectors).contains(items.count) else {
            throw .invalid("connectors", "must list 1-\(maxConnectors) connectors")
        }
        var connectors: [ChargerConnector] = []
        for (index, item) in items.enumerated() {
            let name = "connectors[\(index)]"
            guard let object = item.documentValue else { throw .invalid(name, "must be an object") }
            let fields = RequestFields(object, nullMeansAbsent: false)
            guard let idValue = try fields.value("connectorId") else {
                throw .invalid("\(name).connectorId", "is required")
            }
            guard idValue.isNumber, let id = idValue.int64Value, connectorIdRange.contains(Int(clamping: id)) else {
                throw .invalid(
                    "\(name).connectorId",
                    "must be an integer from \(connectorIdRange.lowerBound) to \(connectorIdRange.upperBound)")
            }
            let maxPower = try fields.number(
                "maxPower", in: StartRequest.maxPowerRange, excludingLower: true, field: "\(name).maxPower")
            let connector = ChargerConnector(connectorId: Int(id), maxPower: maxPower)
            if let earlier = connectors.firstIndex(where: { $0.connectorId == connector.connectorId }) {
                connectors[earlier] = connector
            } else {
                connectors.append(connector)
            }
        }
        return connectors
    }
}

extension RequestFields {
    /// ``number(_:in:default:excludingLower:)`` whose error names `field` (a nested member's full path).
    func number(
        _ name: String, in range: ClosedRange<Double>, excludingLower: Bool, field: String
    ) throws(ChargingError) -> Double {
        do {
            return try number(name, in: range, excludingLower: excludingLower)
        } catch {
            throw ChargingError(error.code, field + error.message.dropFirst(name.count))
        }
    }
}
