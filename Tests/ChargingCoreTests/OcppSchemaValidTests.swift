import ChargingCore
import ChargingWire
import Testing

/// One payload of one action's request or confirmation, as JSON text.
struct OcppSchemaExample: Sendable, CustomTestStringConvertible {
    var action: String
    var kind: OcppMessageKind
    var json: String

    init(_ action: String, _ kind: OcppMessageKind, _ json: String) {
        self.action = action
        self.kind = kind
        self.json = json
    }

    var testDescription: String { "\(action).\(kind == .request ? "req" : "conf") \(json.prefix(60))" }

    func payload() throws -> OcppJSON { try OcppJSON.parse(Array(json.utf8)) }
}

/// Realistic payloads of every schema, shaped after the OCPP 1.6 specification's examples.
let validOcppExamples: [OcppSchemaExample] = [
    .init("Authorize", .request, #"{"idTag":"04E91C5A123456"}"#),
    .init(
        "Authorize", .confirmation,
        #"{"idTagInfo":{"status":"Accepted","expiryDate":"2027-01-01T00:00:00Z","parentIdTag":"FLEET-1"}}"#),
    .init(
        "BootNotification", .request,
        #"{"chargePointVendor":"VendorX","chargePointModel":"Wallbox-22","chargePointSerialNumber":"SN-0001","#
            + #""chargeBoxSerialNumber":"CB-0001","firmwareVersion":"1.4.2","iccid":"8931000000000000001","#
            + #""imsi":"262010000000001","meterType":"EM24","meterSerialNumber":"M-42"}"#),
    .init("BootNotification", .request, #"{"chargePointVendor":"VendorX","chargePointModel":"Wallbox-22"}"#),
    .init(
        "BootNotification", .confirmation,
        #"{"status":"Accepted","currentTime":"2026-12-01T10:00:00.123Z","interval":300}"#),
    .init("DataTransfer", .request, #"{"vendorId":"com.vendor","messageId":"Config","data":"{\"a\":1}"}"#),
    .init("DataTransfer", .confirmation, #"{"status":"UnknownVendorId"}"#),
    .init("DiagnosticsStatusNotification", .request, #"{"status":"Uploaded"}"#),
    .init("DiagnosticsStatusNotification", .confirmation, "{}"),
    .init("FirmwareStatusNotification", .request, #"{"status":"Installed"}"#),
    .init("FirmwareStatusNotification", .confirmation, "{}"),
    .init("Heartbeat", .request, "{}"),
    .init("Heartbeat", .confirmation, #"{"currentTime":"2026-12-01T10:00:00Z"}"#),
    .init(
        "MeterValues", .request,
        #"{"connectorId":1,"transactionId":123456,"meterValue":[{"timestamp":"2026-12-01T10:05:00Z","#
            + #""sampledValue":[{"value":"1234.5","context":"Sample.Periodic","format":"Raw","#
            + #""measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"},"#
            + #"{"value":"11000","measurand":"Power.Active.Import","phase":"L1-N","unit":"W"},"#
            + #"{"value":"49.9","measurand":"Frequency","unit":"Hertz"}]}]}"#),
    .init(
        "MeterValues", .request,
        #"{"connectorId":0,"meterValue":[{"timestamp":"2026-12-01T10:05:00+01:00","sampledValue":[{"value":"7"}]}]}"#),
    .init("MeterValues", .confirmation, "{}"),
    .init(
        "StartTransaction", .request,
        #"{"connectorId":1,"idTag":"04E91C5A123456","meterStart":0,"reservationId":7,"#
            + #""timestamp":"2026-12-01T10:00:00.000Z"}"#),
    .init("StartTransaction", .confirmation, #"{"idTagInfo":{"status":"ConcurrentTx"},"transactionId":2147483647}"#),
    .init(
        "StatusNotification", .request,
        #"{"connectorId":2,"errorCode":"NoError","status":"Charging","info":"ok","#
            + #""timestamp":"2026-12-01T10:00:00Z","vendorId":"com.vendor","vendorErrorCode":"E0"}"#),
    .init("StatusNotification", .request, #"{"connectorId":0,"errorCode":"OtherError","status":"Unavailable"}"#),
    .init("StatusNotification", .confirmation, "{}"),
    .init(
        "StopTransaction", .request,
        #"{"idTag":"04E91C5A123456","meterStop":15250,"timestamp":"2026-12-01T11:00:00Z","transactionId":123456,"#
            + #""reason":"EVDisconnected","transactionData":[{"timestamp":"2026-12-01T10:30:00Z","#
            + #""sampledValue":[{"value":"7.5","measurand":"Energy.Active.Import.Register","unit":"kWh","#
            + #""context":"Sample.Clock"}]},{"timestamp":"2026-12-01T11:00:00Z","sampledValue":[]}]}"#),
    .init("StopTransaction", .request, #"{"meterStop":0,"timestamp":"2026-12-01T11:00:00Z","transactionId":1}"#),
    .init("StopTransaction", .confirmation, #"{"idTagInfo":{"status":"Invalid"}}"#),
    .init("StopTransaction", .confirmation, "{}"),
    .init("RemoteStartTransaction", .request, #"{"connectorId":1,"idTag":"R0123456789abcdef012"}"#),
    .init(
        "RemoteStartTransaction", .request,
        #"{"idTag":"04E91C5A","chargingProfile":{"chargingProfileId":1,"transactionId":5,"stackLevel":0,"#
            + #""chargingProfilePurpose":"TxProfile","chargingProfileKind":"Recurring","recurrencyKind":"Daily","#
            + #""validFrom":"2026-12-01T00:00:00Z","validTo":"2027-12-01T00:00:00Z","#
            + #""chargingSchedule":{"duration":86400,"startSchedule":"2026-12-01T00:00:00Z","#
            + #""chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":16.2,"numberPhases":3},"#
            + #"{"startPeriod":3600,"limit":6}],"minChargingRate":0.3}}}"#),
    .init("RemoteStartTransaction", .confirmation, #"{"status":"Accepted"}"#),
    .init("RemoteStopTransaction", .request, #"{"transactionId":123456}"#),
    .init("RemoteStopTransaction", .confirmation, #"{"status":"Rejected"}"#),
    .init("Reset", .request, #"{"type":"Soft"}"#),
    .init("Reset", .confirmation, #"{"status":"Accepted"}"#),
    .init("TriggerMessage", .request, #"{"requestedMessage":"StatusNotification","connectorId":1}"#),
    .init("TriggerMessage", .confirmation, #"{"status":"NotImplemented"}"#),
    .init("ChangeConfiguration", .request, #"{"key":"HeartbeatInterval","value":"300"}"#),
    .init("ChangeConfiguration", .confirmation, #"{"status":"RebootRequired"}"#),
    .init("GetConfiguration", .request, #"{"key":["HeartbeatInterval","MeterValueSampleInterval"]}"#),
    .init("GetConfiguration", .request, "{}"),
    .init(
        "GetConfiguration", .confirmation,
        #"{"configurationKey":[{"key":"HeartbeatInterval","readonly":false,"value":"300"},"#
            + #"{"key":"NumberOfConnectors","readonly":true}],"unknownKey":["Foo"]}"#),
    .init("UnlockConnector", .request, #"{"connectorId":2}"#),
    .init("UnlockConnector", .confirmation, #"{"status":"Unlocked"}"#),
]

@Suite("OcppSchemaValid")
struct OcppSchemaValidTests {
    @Test("a realistic payload passes its schema", arguments: validOcppExamples)
    func accepts(_ example: OcppSchemaExample) throws {
        #expect(OcppSchemas.isKnown(action: example.action, kind: example.kind))
        let error = OcppSchemas.validate(try example.payload(), action: example.action, kind: example.kind)
        #expect(error == nil, "\(error?.code.rawValue ?? "") \(error?.description ?? "")")
    }

    @Test("every schema evcsm uses has a valid example of its request and confirmation")
    func everySchemaCovered() {
        let commands: Set<String> = [
            "RemoteStartTransaction", "RemoteStopTransaction", "Reset", "TriggerMessage", "ChangeConfiguration",
            "GetConfiguration", "UnlockConnector",
        ]
        for action in OcppSchemas.chargerInitiated.union(commands) {
            for kind in [OcppMessageKind.request, .confirmation] {
                #expect(OcppSchemas.isKnown(action: action, kind: kind), "\(action)")
                #expect(validOcppExamples.contains { $0.action == action && $0.kind == kind }, "\(action) \(kind)")
            }
        }
    }

    @Test("the action sets of OCPP 1.6; an action without a schema is unknown and validates as nil")
    func actionSets() {
        #expect(OcppSchemas.chargerInitiated.count == 10)
        #expect(OcppSchemas.csmsInitiated.count == 19)
        #expect(OcppSchemas.chargerInitiated.intersection(OcppSchemas.csmsInitiated) == ["DataTransfer"])
        #expect(OcppSchemas.csmsInitiated.contains("SetChargingProfile"))
        #expect(!OcppSchemas.isKnown(action: "SetChargingProfile", kind: .request))
        #expect(!OcppSchemas.isKnown(action: "NoSuchAction", kind: .request))
        #expect(OcppSchemas.validate(["anything": 1], action: "NoSuchAction", kind: .request) == nil)
    }

    @Test(
        "OCPP date-times: RFC 3339 with Z or an offset and any fraction",
        arguments: [
            ("2026-12-01T10:00:00Z", 1_796_119_200_000),
            ("2026-12-01T10:00:00.5Z", 1_796_119_200_500),
            ("2026-12-01T10:00:00.123456789Z", 1_796_119_200_123),
            ("2026-12-01T11:30:00+01:30", 1_796_119_200_000),
            ("2026-12-01T05:00:00-05:00", 1_796_119_200_000),
            ("2026-12-01t10:00:00z", 1_796_119_200_000),
            ("1970-01-01T00:00:00Z", 0),
        ] as [(String, Int64)])
    func dateTimes(_ text: String, _ milliseconds: Int64) {
        #expect(OcppSchemas.parseDateTime(text) == milliseconds)
    }

    @Test(
        "not OCPP date-times",
        arguments: [
            "", "2026-12-01", "2026-12-01T10:00:00", "2026-12-01 10:00:00Z", "2026-12-01T10:00Z",
            "2026-13-01T10:00:00Z", "2026-02-30T10:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T10:00:00.Z",
            "2026-12-01T10:00:00+0100", "2026-12-01T10:00:00Z ", "1796119200000",
        ])
    func notDateTimes(_ text: String) {
        #expect(OcppSchemas.parseDateTime(text) == nil)
    }
}
