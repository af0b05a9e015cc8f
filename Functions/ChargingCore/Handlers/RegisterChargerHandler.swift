import FunctionRuntime
import Logging

/// `POST /chargers` `{chargePointId, ocpp?, connectors?}` (operators only): 201 `{chargePointId, password}` with a
/// generated password shown this once; the store keeps only its salted hash (``PasswordHash``). 400 naming the
/// field, 401 without a caller, 403 for a driver, 409 when the point already has credentials (a new password for a
/// registered point — rotation — is not offered by this route), 503 when the store or the broker failed (nothing
/// stays registered; retry).
///
/// With `IOT_CLIENTS_ENDPOINT` set (evcsm-local) the MQTT client `<chargePointId>` with role `charger` is created on
/// the broker after the registration is stored; if that fails the registration is withdrawn. The password is never
/// logged.
public struct RegisterChargerHandler: HTTPFunction {
    /// The broker role of charging points (publish `chargers/<username>/#`, subscribe/receive `session/updates`).
    public static let mqttRole = "charger"

    let registry: any ChargingPointRegistry
    let provisioner: (any MqttClientProvisioner)?
    let clock: any WallClock
    let authMode: AuthMode
    let iterations: Int

    public init(
        registry: any ChargingPointRegistry, provisioner: (any MqttClientProvisioner)?,
        clock: any WallClock = SystemWallClock(), authMode: AuthMode = .jwt,
        iterations: Int = PasswordHash.defaultIterations
    ) {
        self.registry = registry
        self.provisioner = provisioner
        self.clock = clock
        self.authMode = authMode
        self.iterations = iterations
    }

    /// The environment variables ``live(_:logger:)`` reads, for `--help`.
    public static let environmentVariables = [
        "AUTH_MODE", "DATA_API_URL", "DATA_API_KEY", "DATA_API_DATA_SOURCE", "DATA_API_DATABASE", "DATA_API_TIMEOUT_MS",
        IoTClientsProvisioner.endpointVariable, "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ]

    /// The production composition: a ``DataAPIChargingPointRegistry`` over libcurl, an ``IoTClientsProvisioner``
    /// when `IOT_CLIENTS_ENDPOINT` is set, `AUTH_MODE`, the system clock.
    public static func live(
        _ env: FunctionEnvironment, logger: Logger
    ) throws(FunctionRuntimeError)
        -> RegisterChargerHandler
    {
        RegisterChargerHandler(
            registry: try DataAPIChargingPointRegistry.live(env, logger: logger),
            provisioner: try IoTClientsProvisioner.fromEnvironment(env, transport: CurlHTTPClient()),
            authMode: try AuthMode.fromEnvironment(env))
    }

    struct Registered: Encodable {
        let chargePointId: String
        let password: String
    }

    public func handle(_ request: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        try Caller.of(request, mode: authMode).requireOperator("register charging points")
        let wanted = try ChargerRegistrationRequest.validate(try RequestBody.object(request.bodyBytes))
        let password = ChargerPassword.generate()
        let registration = ChargerRegistration(
            chargePointId: wanted.chargePointId, ocpp: wanted.ocpp, connectors: wanted.connectors,
            credentials: .make(password: password, iterations: iterations), registeredAt: clock.nowMilliseconds(),
            provisioned: provisioner == nil)
        guard try await registry.register(registration) else {
            throw ChargingError(
                .chargingPointBusy, "charging point \(wanted.chargePointId) is already registered (it has credentials)")
        }
        if let provisioner {
            try await provision(registration, password: password, with: provisioner, logger: context.logger)
        }
        context.logger.info(
            "charging point registered",
            metadata: ["chargePointId": "\(registration.chargePointId)", "ocpp": "\(registration.ocpp)"])
        return try .json(Registered(chargePointId: registration.chargePointId, password: password), status: 201)
    }

    /// Creates the broker client, then marks the registration provisioned; on any failure withdraws it.
    private func provision(
        _ registration: ChargerRegistration, password: String, with provisioner: any MqttClientProvisioner,
        logger: Logger
    ) async throws {
        let id = registration.chargePointId
        let salt = registration.credentials.salt
        do {
            try await provisioner.provision(username: id, password: password, role: Self.mqttRole)
            guard try await registry.confirm(chargePointId: id, salt: salt) else {
                throw ChargingError(.chargingPointBusy, "charging point \(id) was registered again meanwhile")
            }
        } catch let error as ChargingError where error.code == .chargingPointBusy {
            throw error
        } catch {
            logger.error(
                "creating the charger's MQTT client failed; withdrawing the registration",
                metadata: ["chargePointId": "\(id)", "error": "\(String(describing: error))"])
            do {
                try await registry.withdraw(chargePointId: id, salt: salt)
            } catch {
                // It stays unprovisioned: a new registration takes it over after abandonedMilliseconds.
                logger.error(
                    "withdrawing the registration failed",
                    metadata: ["chargePointId": "\(id)", "error": "\(String(describing: error))"])
            }
            throw ChargingError(
                .storeContention,
                "the MQTT broker did not take the charger's credentials; nothing was registered, retry",
                underlying: error)
        }
    }
}
