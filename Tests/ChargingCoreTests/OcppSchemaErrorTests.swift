import ChargingCore
import ChargingWire
import Testing

/// A payload that breaks its schema, the CALLERROR code it gets and the start of its description (the path).
struct OcppSchemaFault: Sendable, CustomTestStringConvertible {
    var example: OcppSchemaExample
    var code: OcppErrorCode
    var description: String

    init(_ action: String, _ kind: OcppMessageKind, _ json: String, _ code: OcppErrorCode, _ description: String) {
        self.example = OcppSchemaExample(action, kind, json)
        self.code = code
        self.description = description
    }

    var testDescription: String { "\(code.rawValue) \(description)" }
}

private let meterStart = #"{"connectorId":1,"meterValue":[{"timestamp":"2026-12-01T10:05:00Z","sampledValue":"#
private let startStart = #"{"idTag":"T1","meterStart":0,"timestamp":"2026-12-01T10:00:00Z","connectorId":"#
private let profileStart =
    #"{"idTag":"T1","chargingProfile":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxProfile","#
    + #""chargingProfileKind":"Absolute","chargingSchedule":{"chargingRateUnit":"W","chargingSchedulePeriod":"#

let typeFaults: [OcppSchemaFault] = [
    .init(
        "MeterValues", .request, #"{"connectorId":"1","meterValue":[]}"#, .typeConstraintViolation,
        "connectorId: expected an integer, got string"),
    .init(
        "StartTransaction", .request, startStart + "1.5}", .typeConstraintViolation,
        "connectorId: expected an integer, got a decimal number"),
    .init(
        "MeterValues", .request, meterStart + #"[{"value":"1"},{"value":1234}]}]}"#, .typeConstraintViolation,
        "meterValue[0].sampledValue[1].value: expected a string, got integer"),
    .init(
        "StartTransaction", .request,
        #"{"connectorId":1,"idTag":"T1","meterStart":0,"timestamp":1796119200000}"#, .typeConstraintViolation,
        "timestamp: expected a date-time string, got integer"),
    .init(
        "BootNotification", .request, #"{"chargePointVendor":null,"chargePointModel":"M"}"#,
        .typeConstraintViolation, "chargePointVendor: expected a string, got null"),
    .init(
        "Authorize", .confirmation, #"{"idTagInfo":"Accepted"}"#, .typeConstraintViolation,
        "idTagInfo: expected an object, got string"),
    .init(
        "GetConfiguration", .request, #"{"key":["A",7]}"#, .typeConstraintViolation,
        "key[1]: expected a string, got integer"),
    .init(
        "GetConfiguration", .request, #"{"key":"HeartbeatInterval"}"#, .typeConstraintViolation,
        "key: expected an array, got string"),
    .init(
        "GetConfiguration", .confirmation, #"{"configurationKey":[{"key":"K","readonly":"true"}]}"#,
        .typeConstraintViolation, "configurationKey[0].readonly: expected a boolean, got string"),
    .init(
        "RemoteStartTransaction", .request, profileStart + #"[{"startPeriod":0,"limit":"16"}]}}}"#,
        .typeConstraintViolation,
        "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit: expected a number, got string"),
    .init("Heartbeat", .request, "[]", .typeConstraintViolation, "payload: expected an object, got array"),
]

let propertyFaults: [OcppSchemaFault] = [
    .init(
        "StatusNotification", .request, #"{"connectorId":1,"errorCode":"NoError","status":"Busy"}"#,
        .propertyConstraintViolation, #"status: "Busy" is not one of Available, Charging, Faulted"#),
    .init(
        "Authorize", .request, #"{"idTag":"0123456789ABCDEF01234"}"#, .propertyConstraintViolation,
        "idTag: 21 characters, at most 20 allowed"),
    .init(
        "StatusNotification", .request, #"{"connectorId":-1,"errorCode":"NoError","status":"Available"}"#,
        .propertyConstraintViolation, "connectorId: -1 is below the minimum 0"),
    .init(
        "StartTransaction", .request, startStart + "0}", .propertyConstraintViolation,
        "connectorId: 0 is below the minimum 1"),
    .init(
        "StartTransaction", .request,
        #"{"connectorId":1,"idTag":"T1","meterStart":0,"timestamp":"yesterday"}"#, .propertyConstraintViolation,
        #"timestamp: "yesterday" is not an RFC 3339 date-time"#),
    .init(
        "MeterValues", .request, meterStart + #"[{"value":"1","unit":"kwh"}]}]}"#, .propertyConstraintViolation,
        #"meterValue[0].sampledValue[0].unit: "kwh" is not one of"#),
    .init(
        "RemoteStartTransaction", .request, profileStart + #"[{"startPeriod":0,"limit":16.25}]}}}"#,
        .propertyConstraintViolation,
        "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit: 16.25 is not a multiple of 0.1"),
    .init(
        "Reset", .request, #"{"type":"hard"}"#, .propertyConstraintViolation, #"type: "hard" is not one of Hard, Soft"#),
    .init(
        "ChangeConfiguration", .request, #"{"key":"K","value":"\#(String(repeating: "v", count: 501))"}"#,
        .propertyConstraintViolation, "value: 501 characters, at most 500 allowed"),
    .init(
        "UnlockConnector", .request, #"{"connectorId":0}"#, .propertyConstraintViolation,
        "connectorId: 0 is below the minimum 1"),
]

let occurrenceFaults: [OcppSchemaFault] = [
    .init(
        "BootNotification", .request, #"{"chargePointVendor":"V"}"#, .occurenceConstraintViolation,
        "chargePointModel: required member missing"),
    .init("Heartbeat", .request, #"{"x":1}"#, .occurenceConstraintViolation, "x: unknown member"),
    .init(
        "MeterValues", .request, #"{"connectorId":1,"meterValue":[]}"#, .occurenceConstraintViolation,
        "meterValue: 0 items, at least 1 required"),
    .init(
        "MeterValues", .request, meterStart + #"[{"value":"1","extra":true}]}]}"#, .occurenceConstraintViolation,
        "meterValue[0].sampledValue[0].extra: unknown member"),
    .init(
        "StopTransaction", .request, #"{"meterStop":10,"timestamp":"2026-12-01T11:00:00Z"}"#,
        .occurenceConstraintViolation, "transactionId: required member missing"),
    .init(
        "StopTransaction", .request,
        #"{"meterStop":10,"timestamp":"2026-12-01T11:00:00Z","transactionId":1,"transactionData":["#
            + #"{"timestamp":"2026-12-01T11:00:00Z","sampledValue":[]},"#
            + #"{"timestamp":"2026-12-01T11:00:00Z","sampledValue":[{"unit":"Wh"}]}]}"#,
        .occurenceConstraintViolation, "transactionData[1].sampledValue[0].value: required member missing"),
    .init(
        "RemoteStartTransaction", .request,
        #"{"idTag":"T1","chargingProfile":{"chargingProfileId":1,"stackLevel":0,"#
            + #""chargingProfilePurpose":"TxProfile","chargingProfileKind":"Absolute"}}"#,
        .occurenceConstraintViolation, "chargingProfile.chargingSchedule: required member missing"),
    .init(
        "StartTransaction", .confirmation, #"{"idTagInfo":{"status":"Accepted"}}"#, .occurenceConstraintViolation,
        "transactionId: required member missing"),
    .init(
        "StartTransaction", .confirmation, #"{"idTagInfo":{},"transactionId":1}"#, .occurenceConstraintViolation,
        "idTagInfo.status: required member missing"),
    .init(
        "Reset", .request, #"{"type":"Soft","zulu":1,"alpha":2}"#, .occurenceConstraintViolation,
        "alpha: unknown member"),
]

@Suite("OcppSchemaErrors")
struct OcppSchemaErrorTests {
    @Test("a JSON type mismatch is TypeConstraintViolation, naming the path", arguments: typeFaults)
    func typeMismatch(_ fault: OcppSchemaFault) throws { try check(fault) }

    @Test("a value outside its constraint is PropertyConstraintViolation, naming the path", arguments: propertyFaults)
    func propertyConstraint(_ fault: OcppSchemaFault) throws { try check(fault) }

    @Test("a missing or unknown member is OccurenceConstraintViolation, naming the path", arguments: occurrenceFaults)
    func occurrence(_ fault: OcppSchemaFault) throws { try check(fault) }

    @Test("string lengths count characters, not UTF-8 bytes")
    func lengthInCharacters() {
        let twenty = String(repeating: "ü", count: 20)
        #expect(OcppSchemas.validate(["idTag": .string(twenty)], action: "Authorize", kind: .request) == nil)
        let error = OcppSchemas.validate(["idTag": .string(twenty + "€")], action: "Authorize", kind: .request)
        #expect(error == OcppCallError(.propertyConstraintViolation, "idTag: 21 characters, at most 20 allowed"))
    }

    @Test("an exactly integral number is an integer; a large one is accepted as any number")
    func integralNumbers() throws {
        let payload = try OcppJSON.parse(Array(#"{"transactionId":5.0}"#.utf8))
        #expect(OcppSchemas.validate(payload, action: "RemoteStopTransaction", kind: .request) == nil)
        let limit: OcppJSON = [
            "startPeriod": 0, "limit": 32,
        ]
        let profile: OcppJSON = [
            "idTag": "T",
            "chargingProfile": [
                "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Relative",
                "chargingSchedule": ["chargingRateUnit": "A", "chargingSchedulePeriod": [limit]],
            ],
        ]
        #expect(OcppSchemas.validate(profile, action: "RemoteStartTransaction", kind: .request) == nil)
    }

    private func check(_ fault: OcppSchemaFault) throws {
        let example = fault.example
        let error = try #require(
            OcppSchemas.validate(try example.payload(), action: example.action, kind: example.kind))
        #expect(error.code == fault.code, "\(error.description)")
        #expect(error.description.hasPrefix(fault.description), "\(error.description)")
    }
}
