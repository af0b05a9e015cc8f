import ChargingWire
import FunctionRuntime

/// `POST /chargers/{chargePointId}/commands` `{action, payload?}` (operators only): sends one OCPP 1.6 command —
/// Reset, TriggerMessage, ChangeConfiguration, GetConfiguration or UnlockConnector — to a connected OCPP charger
/// and answers with what the charger said: 200 `{action, status: "Answered", result: <CALLRESULT payload>}`, or
/// 200 `{action, status: "Error", error: {code, description}}` for a CALLERROR (or a CALLRESULT that breaks the
/// action's confirmation schema).
///
/// 400 naming the field (an unknown action; a payload that breaks the 1.6 request schema, e.g.
/// `payload.type: …`), 401 without a caller, 403 for a driver, 404 for an unknown point or one that is not an OCPP
/// charger, 409 `ChargerNotConnected` / `ChargerBusy`, 504 `ChargerTimeout` after `OCPP_CALL_TIMEOUT_SECONDS`,
/// 503 without `OCPP_CONNECTIONS_ENDPOINT`. Nothing is sent on a 4xx.
public struct SendChargerCommandHandler: HTTPFunction {
    /// The commands this route sends.
    public static let actions = [
        "ChangeConfiguration", "GetConfiguration", "Reset", "TriggerMessage", "UnlockConnector",
    ]

    let control: OcppControl
    let authMode: AuthMode

    public init(control: OcppControl, authMode: AuthMode = .jwt) {
        self.control = control
        self.authMode = authMode
    }

    public func handle(_ request: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        try Caller.of(request, mode: authMode).requireOperator("send commands to chargers")
        guard let chargePointId = request.pathParameters?["chargePointId"], StartRequest.isValidID(chargePointId)
        else {
            throw ChargingError.invalid(
                "chargePointId", "must be 1-\(StartRequest.maxIDLength) characters from A-Z a-z 0-9 . _ : -")
        }
        let (action, payload) = try Self.command(request.bodyBytes)
        guard let registration = try await control.registry.registration(chargePointId: chargePointId) else {
            throw ChargingError(.sessionNotFound, "charger \(chargePointId) is not registered")
        }
        // A registered MQTT charger exists but speaks no OCPP: a conflict with its kind, not a missing resource.
        guard registration.ocpp else {
            throw ChargingError(
                .notOcppCharger, "charger \(chargePointId) is an MQTT charger; commands go to OCPP chargers only")
        }
        let calls = try control.requireCalls(chargePointId)
        let outcome = try await calls.call(
            chargePointId: chargePointId, action: action, payload: payload, timeout: control.settings.callTimeout)
        context.logger.info(
            "charger command answered",
            metadata: ["chargePointId": "\(chargePointId)", "action": "\(action)", "answer": "\(outcome.summary)"])
        return try .json(CommandResponse(action: action, outcome: outcome))
    }

    /// The validated `{action, payload}` of a body; a 400 envelope naming the field otherwise.
    static func command(_ body: [UInt8]?) throws(ChargingError) -> (String, OcppJSON) {
        _ = try RequestBody.object(body)
        guard let body, let object = (try? OcppJSON.parse(body))?.objectValue else {
            throw ChargingError(.malformedRequest, "request body must be a JSON object")
        }
        guard let actionValue = object["action"], !actionValue.isNull else { throw .invalid("action", "is required") }
        guard let action = actionValue.stringValue, actions.contains(action) else {
            throw .invalid("action", "must be one of " + actions.joined(separator: ", "))
        }
        let payload = object["payload"] ?? .object([:])
        guard payload.objectValue != nil else { throw .invalid("payload", "must be an object") }
        if let violation = OcppSchemas.validate(payload, action: action, kind: .request) {
            let text = violation.description
            throw ChargingError(.validation, text.hasPrefix("payload") ? text : "payload." + text)
        }
        return (action, payload)
    }
}

/// The answer of `POST /chargers/{chargePointId}/commands`.
struct CommandResponse: Encodable {
    struct Failure: Encodable {
        let code: String
        let description: String
    }

    let action: String
    /// `Answered` (a CALLRESULT) or `Error` (a CALLERROR).
    let status: String
    let result: OcppJSON?
    let error: Failure?

    init(action: String, outcome: OcppCallOutcome) {
        self.action = action
        switch outcome {
        case .result(let payload):
            (status, result, error) = ("Answered", payload, nil)
        case .error(let code, let description):
            (status, result, error) = ("Error", nil, Failure(code: code, description: description))
        }
    }
}
