import BSON
import DataAPI

/// A validated request to start charging (`POST /start` body or a `charging/updates` message).
public struct StartRequest: Sendable, Hashable {
    public var userId: String
    public var vehicleId: String
    public var chargingPointId: String
    /// kW, > 0 and ≤ 350.
    public var maxPower: Double
    /// Percent, 1…100.
    public var targetCharge: Double
    /// kWh, 1…200; nil means the configured default.
    public var batteryCapacity: Double?
    /// Percent, 0…99 (at or above `targetCharge` means nothing to add); nil means the configured default.
    public var currentCharge: Double?
    /// The OCPP connector to start on (1…``maxConnectorId``); nil means the first Available one. Only `POST /start`
    /// on an OCPP charger uses it.
    public var connectorId: Int?

    public static let maxIDLength = 64
    public static let maxConnectorId = 100
    public static let maxPowerRange: ClosedRange<Double> = 0...350
    public static let targetChargeRange: ClosedRange<Double> = 1...100
    public static let batteryCapacityRange: ClosedRange<Double> = 1...200
    public static let currentChargeRange: ClosedRange<Double> = 0...99

    public init(
        userId: String, vehicleId: String, chargingPointId: String, maxPower: Double, targetCharge: Double,
        batteryCapacity: Double? = nil, currentCharge: Double? = nil, connectorId: Int? = nil
    ) {
        self.userId = userId
        self.vehicleId = vehicleId
        self.chargingPointId = chargingPointId
        self.maxPower = maxPower
        self.targetCharge = targetCharge
        self.batteryCapacity = batteryCapacity
        self.currentCharge = currentCharge
        self.connectorId = connectorId
    }

    /// True for a non-empty id of at most 64 characters from `[A-Za-z0-9._:-]`.
    public static func isValidID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= maxIDLength else { return false }
        return id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F
                || c == 0x3A || c == 0x2D
        }
    }

    /// Validates a start request object. Fields missing from `object` come from `defaults` when given
    /// (bare `charging/updates` messages, where a `null` member also counts as missing), otherwise they are
    /// required and a `null` member is an error, as the OpenAPI document declares no field nullable.
    /// Unknown fields are ignored. An absent `userId` is `userId` when given (the caller's `sub` on `POST /start`).
    /// Throws a ``ChargingError`` naming the first offending field.
    public static func validate(
        _ object: Document, defaults: ChargingDefaults? = nil, userId defaultUserId: String? = nil
    ) throws(ChargingError)
        -> StartRequest
    {
        let fields = RequestFields(object, nullMeansAbsent: defaults != nil)
        let request = StartRequest(
            userId: try fields.id("userId", default: defaultUserId ?? defaults?.unknownId),
            vehicleId: try fields.id("vehicleId", default: defaults?.unknownId),
            chargingPointId: try fields.id("chargingPointId", default: defaults?.chargingPointId),
            maxPower: try fields.number(
                "maxPower", in: maxPowerRange, default: defaults?.maxPower, excludingLower: true),
            targetCharge: try fields.number("targetCharge", in: targetChargeRange, default: defaults?.targetCharge),
            batteryCapacity: try fields.optionalNumber("batteryCapacity", in: batteryCapacityRange),
            currentCharge: try fields.optionalNumber("currentCharge", in: currentChargeRange),
            connectorId: try fields.optionalInteger("connectorId", in: 1...maxConnectorId))
        // currentCharge at or above targetCharge is accepted (the estimate is 0): a rule across two fields cannot be
        // stated in the OpenAPI document, and the document says exactly what is accepted.
        return request
    }
}

/// Typed, field-naming access to the members of a JSON request object.
struct RequestFields {
    let object: Document
    /// When false (REST bodies), a member that is present and `null` is rejected rather than taken as absent.
    let nullMeansAbsent: Bool

    init(_ object: Document, nullMeansAbsent: Bool) {
        self.object = object
        self.nullMeansAbsent = nullMeansAbsent
    }

    /// A present, non-null member; nil when absent (or `null`, where that means absent).
    func value(_ name: String) throws(ChargingError) -> BSONValue? {
        guard let value = object[name] else { return nil }
        guard !value.isNull else {
            if nullMeansAbsent { return nil }
            throw .invalid(name, "must not be null")
        }
        return value
    }

    func id(_ name: String, default defaultValue: String? = nil) throws(ChargingError) -> String {
        guard let value = try value(name) else {
            if let defaultValue { return defaultValue }
            throw .invalid(name, "is required")
        }
        guard let text = value.stringValue else { throw .invalid(name, "must be a string") }
        guard StartRequest.isValidID(text) else {
            throw .invalid(name, "must be 1-\(StartRequest.maxIDLength) characters from A-Z a-z 0-9 . _ : -")
        }
        return text
    }

    func number(
        _ name: String, in range: ClosedRange<Double>, default defaultValue: Double? = nil,
        excludingLower: Bool = false
    ) throws(ChargingError) -> Double {
        guard try value(name) != nil else {
            if let defaultValue { return defaultValue }
            throw .invalid(name, "is required")
        }
        return try optionalNumber(name, in: range, excludingLower: excludingLower)!
    }

    func optionalNumber(
        _ name: String, in range: ClosedRange<Double>, excludingLower: Bool = false
    )
        throws(ChargingError) -> Double?
    {
        guard let value = try value(name) else { return nil }
        guard value.isNumber, let number = value.doubleValue, number.isFinite else {
            throw .invalid(name, "must be a number")
        }
        let lower = excludingLower ? "greater than \(format(range.lowerBound))" : "at least \(format(range.lowerBound))"
        guard range.contains(number), !(excludingLower && number == range.lowerBound) else {
            throw .invalid(name, "must be \(lower) and at most \(format(range.upperBound))")
        }
        return number
    }

    func optionalInteger(_ name: String, in range: ClosedRange<Int>) throws(ChargingError) -> Int? {
        guard let value = try value(name) else { return nil }
        guard value.isNumber, let number = value.doubleValue, number.isFinite, number == number.rounded() else {
            throw .invalid(name, "must be an integer")
        }
        guard number >= Double(range.lowerBound), number <= Double(range.upperBound) else {
            throw .invalid(name, "must be at least \(range.lowerBound) and at most \(range.upperBound)")
        }
        return Int(number)
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : String(value)
    }
}

/// Parsing of request bodies: JSON objects of at most 64 KiB.
public enum RequestBody {
    /// The largest accepted body.
    public static let maxBytes = 64 * 1024

    /// Parses a body into a JSON object, or throws a 400 ``ChargingError``.
    public static func object(_ bytes: [UInt8]?) throws(ChargingError) -> Document {
        guard let bytes, !bytes.isEmpty else { throw ChargingError(.malformedRequest, "request body is required") }
        guard bytes.count <= maxBytes else {
            throw ChargingError(.malformedRequest, "request body is larger than \(maxBytes) bytes")
        }
        let value: BSONValue
        do {
            value = try ExtendedJSON.parse(bytes)
        } catch {
            throw ChargingError(.malformedRequest, "request body is not valid JSON", underlying: error)
        }
        guard let object = value.documentValue else {
            throw ChargingError(.malformedRequest, "request body must be a JSON object")
        }
        return object
    }
}
