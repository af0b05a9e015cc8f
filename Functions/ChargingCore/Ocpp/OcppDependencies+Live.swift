import DataAPI
import FunctionRuntime
import Logging

extension OcppDependencies {
    /// The environment variables ``live(_:logger:)`` reads, for `--help`.
    public static var environmentVariables: [String] {
        FunctionDependencies.environmentVariables(publishes: true) + OcppSettings.environmentVariables
            + [APIGatewayConnections.endpointVariable]
    }

    /// The production composition from the environment (read once): ``FunctionDependencies`` (publishing), the
    /// registry, ``DataAPIChargerStateStore``, the idTag and transaction id stores, CSMS calls over the API Gateway
    /// management API (`OCPP_CONNECTIONS_ENDPOINT`) and ``OcppSettings`` (`OCPP_*`). Errors name the variable.
    public static func live(
        _ env: FunctionEnvironment, logger: Logger
    ) throws(FunctionRuntimeError)
        -> OcppDependencies
    {
        let client = try DataAPIClient.live(env, logger: logger)
        let chargers = DataAPIChargerStateStore(client: client, logger: logger)
        let outstanding = DataAPIOutstandingCalls(client: client, logger: logger)
        let charging = try FunctionDependencies.live(env, logger: logger, publishes: true)
        let calls = OcppChargerCalls(
            connections: try APIGatewayConnections.fromEnvironment(env), outstanding: outstanding, chargers: chargers,
            clock: charging.clock, logger: logger)
        return OcppDependencies(
            charging: charging, registry: DataAPIChargingPointRegistry(client: client, logger: logger),
            chargers: chargers, idTags: DataAPIIdTagStore(client: client, logger: logger),
            transactions: DataAPITransactionIds(client: client, logger: logger), calls: calls,
            outstanding: outstanding, settings: try OcppSettings.fromEnvironment(env))
    }
}

/// A WebSocket route of the OCPP API, composed from ``OcppDependencies``.
public protocol OcppRoute: WebSocketFunction {
    init(_ deps: OcppDependencies)
}

extension OcppRoute {
    /// The production composition (``OcppDependencies/live(_:logger:)``).
    public static func live(_ env: FunctionEnvironment, logger: Logger) throws(FunctionRuntimeError) -> Self {
        Self(try OcppDependencies.live(env, logger: logger))
    }
}

extension DataAPIClient {
    /// A client over libcurl with the Data API configuration of the environment (`DATA_API_*`).
    static func live(_ env: FunctionEnvironment, logger: Logger) throws(FunctionRuntimeError) -> DataAPIClient {
        DataAPIClient(
            configuration: try DataAPIConfiguration.fromEnvironment(env), transport: CurlHTTPClient(), logger: logger)
    }
}
