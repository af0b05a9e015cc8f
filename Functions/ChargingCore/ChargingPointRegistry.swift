/// One connector of a registered charging point and the most power it delivers.
public struct ChargerConnector: Sendable, Hashable {
    /// 1, 2, … (OCPP numbers connectors from 1; 0 means the whole charge point and is not a connector).
    public var connectorId: Int
    /// kW, > 0 and ≤ 350.
    public var maxPower: Double

    public init(connectorId: Int, maxPower: Double) {
        self.connectorId = connectorId
        self.maxPower = maxPower
    }
}

/// A charging point's registration: its credentials (only a salted hash of the password) and what it offers.
///
/// "Registered" means the point has credentials. Stored in the `ChargingPoints` document of the point, next to the
/// session lock fields (`activeSessionId`, `claimedAt`, `lastSessionId`), which registration never touches.
public struct ChargerRegistration: Sendable, Hashable {
    /// The charging point's id, which is also its MQTT username and client id.
    public var chargePointId: String
    /// True for an OCPP 1.6J charger (it connects over the WebSocket API), false for an MQTT charger.
    public var ocpp: Bool
    /// Its connectors; ``ChargerRegistrationRequest/defaultConnectors`` when the request named none.
    public var connectors: [ChargerConnector]
    /// The salted hash of its password.
    public var credentials: PasswordHash
    /// When it was registered (ms since the epoch).
    public var registeredAt: Int64
    /// False while its MQTT client is being created on the broker (`IOT_CLIENTS_ENDPOINT`): such a registration
    /// signs nothing in, and a new registration takes it over after ``ChargerRegistration/abandonedMilliseconds``
    /// (the registering function died in between). True once the broker has the client, or at once when there is
    /// no broker to tell (the cloud, where MqttAuthorizer checks the hash).
    public var provisioned: Bool

    /// How long an unprovisioned registration blocks a new one.
    public static let abandonedMilliseconds: Int64 = 60_000

    public init(
        chargePointId: String, ocpp: Bool, connectors: [ChargerConnector], credentials: PasswordHash,
        registeredAt: Int64, provisioned: Bool
    ) {
        self.chargePointId = chargePointId
        self.ocpp = ocpp
        self.connectors = connectors
        self.credentials = credentials
        self.registeredAt = registeredAt
        self.provisioned = provisioned
    }

    /// True when a new registration may replace this one at `now`.
    public func isAbandoned(now: Int64) -> Bool {
        !provisioned && now - registeredAt > Self.abandonedMilliseconds
    }
}

/// Where charging points' registrations live. Implementations store a registration atomically only when the point
/// has none (no read-then-write race between two operators).
public protocol ChargingPointRegistry: Sendable {
    /// Stores `registration` if its point has no credentials (or only an abandoned unprovisioned registration).
    /// Returns false, writing nothing, when the point is already registered.
    func register(_ registration: ChargerRegistration) async throws -> Bool

    /// Marks the registration whose salt is `salt` as provisioned; false when it is no longer stored.
    func confirm(chargePointId: String, salt: [UInt8]) async throws -> Bool

    /// Removes the registration whose salt is `salt` (and nothing else of the point's document).
    func withdraw(chargePointId: String, salt: [UInt8]) async throws

    /// The point's registration, or nil when it has none.
    func registration(chargePointId: String) async throws -> ChargerRegistration?
}

/// Creates MQTT clients on the broker (locally: the runner's `PUT /_iot/mqtt-clients/{username}`).
public protocol MqttClientProvisioner: Sendable {
    /// Creates the client `username` with `password` and the role `role`, or replaces its password.
    func provision(username: String, password: String, role: String) async throws
}
