import DataAPI
import Essentials
import FunctionRuntime
import Logging

/// `GET /chargers` (operators only): every registered charging point sorted by id (at most ``maxListed``), with
/// its OCPP connection state, last heartbeat, boot information and connector statuses. 200
/// `{chargers: [ChargerView]}`, 401 without a caller, 403 for a driver, 503 when the store is unavailable.
public struct ListChargersHandler: HTTPFunction {
    /// The most points listed (the list has no paging; a fleet beyond this needs it).
    public static let maxListed = 10_000

    let chargers: any ChargerStateStore
    let authMode: AuthMode

    public init(chargers: any ChargerStateStore, authMode: AuthMode = .jwt) {
        self.chargers = chargers
        self.authMode = authMode
    }

    /// The environment variables ``live(_:logger:)`` reads, for `--help`.
    public static let environmentVariables = [
        "AUTH_MODE", "DATA_API_URL", "DATA_API_KEY", "DATA_API_DATA_SOURCE", "DATA_API_DATABASE", "DATA_API_TIMEOUT_MS",
    ]

    /// The production composition: ``DataAPIChargerStateStore`` over libcurl, `AUTH_MODE`.
    public static func live(
        _ env: FunctionEnvironment, logger: Logger
    ) throws(FunctionRuntimeError)
        -> ListChargersHandler
    {
        ListChargersHandler(
            chargers: DataAPIChargerStateStore(client: try .live(env, logger: logger), logger: logger),
            authMode: try AuthMode.fromEnvironment(env))
    }

    struct Listing: Encodable {
        let chargers: [ChargerView]
    }

    public func handle(_ request: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        try Caller.of(request, mode: authMode).requireOperator("list the charging points")
        let listed = try await chargers.registeredChargers(limit: Self.maxListed)
        return try .json(Listing(chargers: listed.map(ChargerView.init)))
    }
}

/// One charging point in `GET /chargers`.
public struct ChargerView: Encodable, Sendable, Hashable {
    /// A connector: its registered power and last reported status.
    public struct Connector: Encodable, Sendable, Hashable {
        let connectorId: Int
        let maxPower: Double
        let status: String?
        let errorCode: String?
        let info: String?
        /// The status's timestamp (the charger's, else when it was received).
        let updatedAt: String?
    }

    let chargePointId: String
    let ocpp: Bool
    let connected: Bool
    let connectionId: String?
    let connectedAt: String?
    let lastSeen: String?
    let lastHeartbeat: String?
    /// BootNotification's fields (`chargePointVendor`, `chargePointModel`, the optional ones sent) and `at`.
    let boot: [String: String]?
    let connectors: [Connector]

    public init(_ charger: RegisteredCharger) {
        let state = charger.state
        let format = { (ms: Int64?) in ms.map { Timestamp.format(milliseconds: $0) } }
        chargePointId = charger.registration.chargePointId
        ocpp = charger.registration.ocpp
        connected = state.connection != nil
        connectionId = state.connection?.connectionId
        connectedAt = format(state.connection?.connectedAt)
        lastSeen = format(state.lastSeen)
        lastHeartbeat = format(state.lastHeartbeat)
        boot = state.boot.map { boot in
            boot.details.merging(
                [
                    "chargePointVendor": boot.chargePointVendor, "chargePointModel": boot.chargePointModel,
                    "at": Timestamp.format(milliseconds: boot.at),
                ], uniquingKeysWith: { $1 })
        }
        connectors = charger.registration.connectors.map { connector in
            let status = state.connectors[connector.connectorId]
            return Connector(
                connectorId: connector.connectorId, maxPower: connector.maxPower, status: status?.status,
                errorCode: status?.errorCode, info: status?.info,
                updatedAt: format(status.map { $0.timestamp ?? $0.receivedAt }))
        }
    }
}
