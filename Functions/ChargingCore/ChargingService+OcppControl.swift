import DataAPI
import FunctionRuntime
import Logging

/// What the REST functions need to drive OCPP chargers (remote start and stop, commands), composed once per
/// process: the registry (which points are OCPP chargers), their live state, the idTags and the CSMS calls.
public struct OcppControl: Sendable {
    public var registry: any ChargingPointRegistry
    public var chargers: any ChargerStateStore
    public var idTags: any IdTagStore
    /// Nil when `OCPP_CONNECTIONS_ENDPOINT` is not configured: a request for an OCPP charger then answers 503.
    public var calls: (any ChargerCalls)?
    public var settings: OcppSettings

    public init(
        registry: any ChargingPointRegistry, chargers: any ChargerStateStore, idTags: any IdTagStore,
        calls: (any ChargerCalls)?, settings: OcppSettings = OcppSettings()
    ) {
        self.registry = registry
        self.chargers = chargers
        self.idTags = idTags
        self.calls = calls
        self.settings = settings
    }

    /// The variables ``live(_:clock:logger:)`` reads besides the Data API's, for `--help`.
    public static let environmentVariables =
        [APIGatewayConnections.endpointVariable] + OcppSettings.environmentVariables

    /// The production composition: the Data API stores (`DATA_API_*`), ``OcppChargerCalls`` over
    /// ``APIGatewayConnections`` when `OCPP_CONNECTIONS_ENDPOINT` is set, and the `OCPP_*` settings.
    public static func live(
        _ env: FunctionEnvironment, clock: any WallClock, logger: Logger
    ) throws(FunctionRuntimeError) -> OcppControl {
        let client = try DataAPIClient.live(env, logger: logger)
        let chargers = DataAPIChargerStateStore(client: client, logger: logger)
        var calls: (any ChargerCalls)?
        if env[APIGatewayConnections.endpointVariable] != nil {
            calls = OcppChargerCalls(
                connections: try APIGatewayConnections.fromEnvironment(env),
                outstanding: DataAPIOutstandingCalls(client: client, logger: logger), chargers: chargers, clock: clock,
                logger: logger)
        }
        return OcppControl(
            registry: DataAPIChargingPointRegistry(client: client, logger: logger), chargers: chargers,
            idTags: DataAPIIdTagStore(client: client, logger: logger), calls: calls,
            settings: try OcppSettings.fromEnvironment(env))
    }

    /// The registration of `chargePointId` when it is an OCPP charger; nil for any other point.
    public func ocppRegistration(_ chargePointId: String) async throws -> ChargerRegistration? {
        guard let registration = try await registry.registration(chargePointId: chargePointId), registration.ocpp
        else { return nil }
        return registration
    }

    /// The CSMS calls, or a 503 envelope when they are not configured.
    public func requireCalls(_ chargePointId: String) throws(ChargingError) -> any ChargerCalls {
        guard let calls else {
            throw ChargingError(
                .notConfigured,
                "charger \(chargePointId) is an OCPP charger, but this function has no OCPP_CONNECTIONS_ENDPOINT "
                    + "to reach it")
        }
        return calls
    }
}

extension OcppCallOutcome {
    /// The CALLRESULT's `status` (`Accepted`, `Rejected`, …); nil for a CALLERROR or a result without one.
    public var status: String? {
        guard case .result(let payload) = self else { return nil }
        return payload["status"]?.stringValue
    }

    /// What the charger said, for an error message: `Rejected`, or `CALLERROR NotSupported: …`.
    public var summary: String {
        switch self {
        case .result(let payload): return payload["status"]?.stringValue ?? payload.text
        case .error(let code, let description): return "CALLERROR \(code): \(description)"
        }
    }
}
