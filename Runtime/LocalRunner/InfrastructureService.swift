import Foundation
import Logging
import ServiceLifecycle

/// Data directory, Data API store, broker, MQTT client and workers: started first, stopped last.
final class InfrastructureService: Service {
    /// `evcsm-local-<FNV-1a of the absolute data directory>`: the same after a restart, different for two
    /// runners with their own data directories on one broker.
    static func bridgeClientID(dataDirectory: String) -> String {
        let path = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return "evcsm-local-" + String(hash, radix: 16)
    }

    let configuration: RunnerConfiguration
    let dataDirectory: DataDirectory
    /// Where the `/data-api` proxy finds the Data API process.
    let dataAPI: DataAPIUpstream
    let dataAPIKey: String
    let lambda: LambdaService
    let bridge: TopicBridge
    let events: EventStream
    let publisher: AsyncValue<any MessagePublisher>
    let metrics: RunnerMetrics
    let logger: Logger
    let connection = AsyncValue<MQTTConnection>()
    /// The runner's broker users and roles, once made (``MQTTAccess``).
    let access = AsyncValue<MQTTAccess>()
    let broker = AsyncValue<BrokerProcess?>()
    /// The Data API process, once it listens.
    let dataAPIProcess = AsyncValue<DataAPIProcess>()
    let started = AsyncValue<Result<MQTTEndpoint, LocalRunnerError>>()
    /// Companions; ``IngressService`` connects and starts them (each on its own MQTT connection).
    let companions: [any RunnerCompanion]

    init(
        configuration: RunnerConfiguration, dataDirectory: DataDirectory, dataAPI: DataAPIUpstream,
        dataAPIKey: String, lambda: LambdaService, bridge: TopicBridge, events: EventStream,
        publisher: AsyncValue<any MessagePublisher>, companions: [any RunnerCompanion], metrics: RunnerMetrics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.dataDirectory = dataDirectory
        self.dataAPI = dataAPI
        self.dataAPIKey = dataAPIKey
        self.lambda = lambda
        self.bridge = bridge
        self.events = events
        self.publisher = publisher
        self.companions = companions
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        do {
            try await startUp()
        } catch {
            started.set(.failure(error))
            throw error
        }
        try? await gracefulShutdown()
        await lambda.shutdown()
        logger.debug("workers stopped")
        await dataAPIProcess.current?.stop()
        logger.debug("Data API stopped")
        connection.current?.close()
        access.current?.close()
        logger.debug("MQTT clients closed")
        if let broker = broker.current ?? nil { await broker.stop() }
        logger.info("evcsm-local stopped")
    }

    /// Makes the data directory and the key file, starts the Data API process, then starts (or reaches) the
    /// broker and connects the bridge. Every failure names the path, address or port involved, and stops what
    /// was started before it.
    func startUp() async throws(LocalRunnerError) {
        try dataDirectory.create()
        try dataDirectory.writeDataAPIKey(dataAPIKey)
        let command = DataAPIProcess.Command(
            binary: try DataAPIProcess.findBinary(
                explicit: configuration.dataAPIBinary, functionsDirectory: configuration.functionsDirectory),
            sqliteFile: dataDirectory.sqliteFile, mongodbURI: configuration.mongodbURI,
            keyFile: dataDirectory.dataAPIKeyFile, logLevel: logger.logLevel)
        let dataAPIProcess = try await DataAPIProcess.start(
            command, upstream: dataAPI, metrics: metrics, logger: Logger(label: "evcsm.data-api"))
        self.dataAPIProcess.set(dataAPIProcess)
        do {
            try await connectBroker()
        } catch {
            await dataAPIProcess.stop()
            if let broker = broker.current ?? nil { await broker.stop() }
            throw error
        }
    }

    /// Checks the HTTP port, starts the broker (or parses `--mqtt-url`) and connects the bridge.
    func connectBroker() async throws(LocalRunnerError) {
        var endpoint: MQTTEndpoint
        if let url = configuration.mqttURL {
            endpoint = try MQTTEndpoint(url: url)
        } else {
            endpoint = MQTTEndpoint(host: configuration.host, port: configuration.mqttPort)
        }
        if configuration.port != 0 {
            try PortHolder.ensureFree(
                host: configuration.host, port: configuration.port, code: .configuration,
                advice: "choose another --port, or stop that process")
        }
        if configuration.mqttURL != nil {
            broker.set(nil)
        } else {
            let started = try await BrokerProcess.start(
                host: configuration.host, mqttPort: configuration.mqttPort,
                websocketsPort: configuration.mqttWebSocketsPort, dataDirectory: configuration.dataDirectory,
                metrics: metrics, logger: Logger(label: "evcsm.mosquitto"))
            broker.set(started)
            endpoint.port = started.ports.mqtt
        }
        let bridge = self.bridge
        let events = self.events
        let filters = bridge.filters + EventStream.topics
        let clientID = Self.bridgeClientID(dataDirectory: configuration.dataDirectory)
        let roles = try MQTTRoles.load(templatePath: configuration.templatePath)
        let access: MQTTAccess
        if let started = broker.current ?? nil {
            access = try await MQTTAccess.provision(
                broker: started, endpoint: endpoint, roles: roles, bridgeFilters: filters,
                dataDirectory: configuration.dataDirectory, clientID: clientID + "-admin",
                logger: Logger(label: "evcsm.mqtt"))
        } else {
            access = MQTTAccess(
                roles: roles, bridge: configuration.mqttCredentials, developmentUsers: [], admin: nil)
        }
        self.access.set(access)
        // A persistent session under a client id that is stable for this data directory: QoS 1 messages that
        // arrive while the bridge is reconnecting, or while the runner is down (with --mqtt-url), are kept by
        // the broker and delivered afterwards, as an IoT rule would still have run them.
        let client = try MQTTConnection(
            endpoint: endpoint, clientID: clientID, cleanSession: false, credentials: access.bridge,
            logger: Logger(label: "evcsm.mqtt")
        ) { message in
            bridge.accept(message)
            events.accept(message)
        }
        client.subscribe(filters)
        try client.start()
        connection.set(client)
        publisher.set(client)
        if await !client.waitUntilConnected(timeout: .seconds(10)) {
            logger.warning("MQTT broker at \(endpoint) not reachable yet; will keep retrying")
        }
        started.set(.success(endpoint))
    }
}
