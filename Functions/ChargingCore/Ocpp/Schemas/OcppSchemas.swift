import ChargingWire
import Essentials

/// The OCPP 1.6J payload schemas evcsm checks, expressed from the official OCPP 1.6 JSON schemas (edition 2 +
/// errata): requests and confirmations of the ten actions a charge point sends, and of the Central System's
/// RemoteStartTransaction, RemoteStopTransaction, Reset, TriggerMessage, ChangeConfiguration, GetConfiguration
/// and UnlockConnector. Every object is closed (`additionalProperties: false`).
///
/// A violation is answered with the CALLERROR code of OCPP-J §4.2.3 it belongs to:
/// - a JSON type mismatch — including a decimal where an `integer` is required, a non-string date-time, `null`
///   for any member — is `TypeConstraintViolation`;
/// - a value outside its constraint — an enumeration value not allowed, a string over its `maxLength`
///   (counted in Unicode scalars, as JSON Schema counts), a number below its `minimum` or not a multiple of its
///   `multipleOf`, a date-time that is not RFC 3339 — is `PropertyConstraintViolation`;
/// - a required member missing, a member the schema does not declare, or an array with fewer than its
///   `minItems` — is `OccurenceConstraintViolation` (the specification's spelling).
///
/// The description starts with the path of the member at fault, then the reason:
/// `meterValue[0].sampledValue[1].value: expected a string, got integer`. The first violation found is
/// reported: members in schema order, then unknown members in sorted order.
///
/// Beyond the JSON files, the specification's stated minimums are checked: `connectorId` ≥ 0 where 0 means the
/// whole charge point (StatusNotification, MeterValues), ≥ 1 where a real connector is meant (StartTransaction,
/// RemoteStartTransaction, TriggerMessage, UnlockConnector), and a charging profile's `stackLevel` ≥ 0.
/// MeterValues and StopTransaction share one sampled-value schema (`unit` includes the errata's `Hertz`).
public enum OcppSchemas {
    /// The OCPP 1.6 actions a charge point sends (CALLs the CSMS receives).
    public static let chargerInitiated: Set<String> = [
        "Authorize", "BootNotification", "DataTransfer", "DiagnosticsStatusNotification",
        "FirmwareStatusNotification", "Heartbeat", "MeterValues", "StartTransaction", "StatusNotification",
        "StopTransaction",
    ]

    /// Every OCPP 1.6 action the Central System sends (CALLs a charge point receives).
    public static let csmsInitiated: Set<String> = [
        "CancelReservation", "ChangeAvailability", "ChangeConfiguration", "ClearCache", "ClearChargingProfile",
        "DataTransfer", "GetCompositeSchedule", "GetConfiguration", "GetDiagnostics", "GetLocalListVersion",
        "RemoteStartTransaction", "RemoteStopTransaction", "ReserveNow", "Reset", "SendLocalList",
        "SetChargingProfile", "TriggerMessage", "UnlockConnector", "UpdateFirmware",
    ]

    /// Whether a schema for `action`'s request or confirmation is known here. Check it before ``validate(_:action:kind:)``,
    /// which finds nothing wrong with an action it has no schema for.
    public static func isKnown(action: String, kind: OcppMessageKind) -> Bool {
        table[action] != nil
    }

    /// Checks `payload` against the schema of `action`'s request or confirmation: nil when it conforms (or when
    /// no schema is known for the action), else the CALLERROR to answer (see the type's documentation).
    public static func validate(_ payload: OcppJSON, action: String, kind: OcppMessageKind) -> OcppCallError? {
        table[action]?.schema(kind).violation(of: payload)?.callError
    }

    /// Milliseconds since the epoch of an OCPP 1.6 date-time: RFC 3339 with `Z` or a `±hh:mm` offset and an
    /// optional fraction of any number of digits (truncated to milliseconds); nil when the text is not one.
    public static func parseDateTime(_ text: String) -> Int64? {
        Timestamp.parseMilliseconds(text)
    }

    /// Every schema, by action; built once.
    static let table: [String: OcppActionSchemas] = [
        "Authorize": authorize,
        "BootNotification": bootNotification,
        "DataTransfer": dataTransfer,
        "DiagnosticsStatusNotification": diagnosticsStatusNotification,
        "FirmwareStatusNotification": firmwareStatusNotification,
        "Heartbeat": heartbeat,
        "MeterValues": meterValues,
        "StartTransaction": startTransaction,
        "StatusNotification": statusNotification,
        "StopTransaction": stopTransaction,
        "RemoteStartTransaction": remoteStartTransaction,
        "RemoteStopTransaction": remoteStopTransaction,
        "Reset": reset,
        "TriggerMessage": triggerMessage,
        "ChangeConfiguration": changeConfiguration,
        "GetConfiguration": getConfiguration,
        "UnlockConnector": unlockConnector,
    ]
}
