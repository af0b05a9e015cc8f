import ChargingWire

/// The CSMS's CALLs: each answered at once (a CALLRESULT needs no turn), with the work it starts done after the
/// answer was sent (``OcppChargePoint/perform(_:)``).
extension OcppChargePoint {
    /// What a CSMS CALL sets going once its answer is out.
    enum FollowUp: Sendable {
        case startTransaction(connectorId: Int, idTag: String)
        case stopTransaction(connectorId: Int, reason: String)
        case reset(hard: Bool)
        case trigger(String, connectorId: Int?)
    }

    /// A CALL answered with a CALLERROR.
    struct Rejection: Error {
        var code: OcppErrorCode
        var description: String
    }

    /// The CSMS → charge point actions of OCPP 1.6 this simulator does not support (CALLERROR NotSupported); any
    /// other unknown action is NotImplemented.
    static let unsupportedActions: Set<String> = [
        "CancelReservation", "ChangeAvailability", "ClearCache", "ClearChargingProfile", "DataTransfer",
        "GetCompositeSchedule", "GetDiagnostics", "GetLocalListVersion", "ReserveNow", "SendLocalList",
        "SetChargingProfile", "UpdateFirmware",
    ]

    /// The messages TriggerMessage may ask for.
    static let triggerableMessages: Set<String> = [
        "BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification", "Heartbeat", "MeterValues",
        "StatusNotification",
    ]

    func respond(to action: String, _ payload: OcppJSON) -> (Result<OcppJSON, Rejection>, FollowUp?) {
        do {
            switch action {
            case "RemoteStartTransaction": return try remoteStart(payload)
            case "RemoteStopTransaction": return try remoteStop(payload)
            case "Reset":
                let type = try Self.string(payload, "type")
                guard type == "Hard" || type == "Soft" else { throw Self.invalid("type must be Hard or Soft") }
                return (.success(["status": "Accepted"]), .reset(hard: type == "Hard"))
            case "TriggerMessage":
                let message = try Self.string(payload, "requestedMessage")
                let connectorId = try Self.optionalInt(payload, "connectorId")
                guard Self.triggerableMessages.contains(message) else {
                    return (.success(["status": "NotImplemented"]), nil)
                }
                if let connectorId, connectors[connectorId] == nil { return (.success(["status": "Rejected"]), nil) }
                return (.success(["status": "Accepted"]), .trigger(message, connectorId: connectorId))
            case "ChangeConfiguration": return (.success(["status": .string(try changeConfiguration(payload))]), nil)
            case "GetConfiguration": return (.success(try getConfiguration(payload)), nil)
            case "UnlockConnector":
                let connectorId = try Self.int(payload, "connectorId")
                return (.success(["status": connectors[connectorId] == nil ? "NotSupported" : "Unlocked"]), nil)
            default:
                if Self.unsupportedActions.contains(action) {
                    throw Rejection(code: .notSupported, description: "\(action) is not supported by this charger")
                }
                throw Rejection(code: .notImplemented, description: "unknown action \(action)")
            }
        } catch let rejection as Rejection {
            logger.info("OCPP: \(action) answered with \(rejection.code.rawValue): \(rejection.description)")
            return (.failure(rejection), nil)
        } catch {
            return (.failure(Rejection(code: .internalError, description: "\(error)")), nil)
        }
    }

    /// Accepted when the connector (given, else the first Available) is Available; it is Preparing from then on.
    func remoteStart(_ payload: OcppJSON) throws -> (Result<OcppJSON, Rejection>, FollowUp?) {
        let idTag = try Self.string(payload, "idTag")
        let wanted = try Self.optionalInt(payload, "connectorId")
        let candidate = wanted ?? connectors.keys.sorted().first { connectors[$0]?.status == "Available" }
        guard let connectorId = candidate, connectors[connectorId]?.status == "Available" else {
            logger.info(
                "OCPP: RemoteStartTransaction rejected: no Available connector (\(wanted.map(String.init) ?? "any"))")
            return (.success(["status": "Rejected"]), nil)
        }
        connectors[connectorId]?.status = "Preparing"
        return (.success(["status": "Accepted"]), .startTransaction(connectorId: connectorId, idTag: idTag))
    }

    /// Accepted for a running transaction of this charger.
    func remoteStop(_ payload: OcppJSON) throws -> (Result<OcppJSON, Rejection>, FollowUp?) {
        let transactionId = try Self.int64(payload, "transactionId")
        guard let connectorId = connectors.first(where: { $0.value.transactionId == transactionId })?.key else {
            return (.success(["status": "Rejected"]), nil)
        }
        return (.success(["status": "Accepted"]), .stopTransaction(connectorId: connectorId, reason: "Remote"))
    }

    /// Any key may be set (kept); read-only ones are Rejected. A new HeartbeatInterval applies from the next beat.
    func changeConfiguration(_ payload: OcppJSON) throws -> String {
        let key = try Self.string(payload, "key")
        let value = try Self.string(payload, "value")
        guard !readOnlyKeys.contains(key) else { return "Rejected" }
        if key == "HeartbeatInterval" {
            guard let seconds = Int(value), seconds > 0 else { return "Rejected" }
            heartbeatInterval = .seconds(seconds)
        }
        settings[key] = value
        return "Accepted"
    }

    /// The keys asked for (all without `key`), and the unknown ones.
    func getConfiguration(_ payload: OcppJSON) throws -> OcppJSON {
        let asked: [String]
        if let list = payload["key"] {
            guard let items = list.arrayValue?.compactMap(\.stringValue), items.count == list.arrayValue?.count else {
                throw Rejection(code: .typeConstraintViolation, description: "key must be an array of strings")
            }
            asked = items
        } else {
            asked = settings.keys.sorted()
        }
        let known = asked.filter { settings[$0] != nil }
        let unknown = asked.filter { settings[$0] == nil }
        var result: [String: OcppJSON] = [
            "configurationKey": .array(
                known.map { key in
                    [
                        "key": .string(key), "readonly": .bool(readOnlyKeys.contains(key)),
                        "value": .string(settings[key]!),
                    ]
                })
        ]
        if !unknown.isEmpty { result["unknownKey"] = .array(unknown.map { .string($0) }) }
        return .object(result)
    }

    /// Runs what an answered CSMS CALL set going.
    func perform(_ followUp: FollowUp) async {
        switch followUp {
        case .startTransaction(let connectorId, let idTag):
            await startTransaction(connectorId: connectorId, idTag: idTag)
        case .stopTransaction(let connectorId, let reason):
            await stopTransaction(connectorId: connectorId, reason: reason)
        case .reset(let hard):
            for connectorId in connectors.keys.sorted() where connectors[connectorId]?.transactionId != nil {
                await stopTransaction(connectorId: connectorId, reason: hard ? "HardReset" : "SoftReset")
            }
            guard hard else { return }
            logger.info("OCPP: hard reset: rebooting")
            booted = false
            await dropConnection(reason: "hard reset")
        case .trigger(let message, let connectorId):
            await trigger(message, connectorId: connectorId)
        }
    }

    func trigger(_ message: String, connectorId: Int?) async {
        let chosen = connectorId.map { [$0] } ?? connectors.keys.sorted()
        switch message {
        case "BootNotification": await boot()
        case "Heartbeat": await heartbeat()
        case "StatusNotification": for id in chosen { await statusNotification(connectorId: id) }
        case "MeterValues": for id in chosen { await sendMeterValues(connectorId: id) }
        default: await callIgnoringErrors(message, ["status": "Idle"])
        }
    }

    // MARK: Payload fields

    static func invalid(_ description: String) -> Rejection {
        Rejection(code: .propertyConstraintViolation, description: description)
    }

    /// The required member `key` read by `read` (nil = the wrong type, named by `type`).
    static func field<Value>(
        _ payload: OcppJSON, _ key: String, _ type: String, _ read: (OcppJSON) -> Value?
    ) throws -> Value {
        guard let value = payload[key] else {
            throw Rejection(code: .occurenceConstraintViolation, description: "\(key) is required")
        }
        guard let typed = read(value) else {
            throw Rejection(code: .typeConstraintViolation, description: "\(key) must be \(type)")
        }
        return typed
    }

    static func string(_ payload: OcppJSON, _ key: String) throws -> String {
        try field(payload, key, "a string", \.stringValue)
    }

    static func int64(_ payload: OcppJSON, _ key: String) throws -> Int64 {
        try field(payload, key, "an integer", \.int64Value)
    }

    static func int(_ payload: OcppJSON, _ key: String) throws -> Int {
        let number = try int64(payload, key)
        guard let value = Int(exactly: number) else { throw invalid("\(key) is out of range") }
        return value
    }

    static func optionalInt(_ payload: OcppJSON, _ key: String) throws -> Int? {
        payload[key] == nil ? nil : try int(payload, key)
    }
}
