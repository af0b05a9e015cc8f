import Foundation
import Logging
import ServiceLifecycle

/// MQTT ingress (IoT rules, simulator) and the start banner: started last, stopped first.
final class IngressService: Service {
    let configuration: RunnerConfiguration
    let infrastructure: InfrastructureService
    let lambda: LambdaService
    let bridge: TopicBridge
    let events: EventStream
    let httpPort: AsyncValue<Int>
    let dataAPIKey: String
    /// Given to every worker with ``awsRegion`` (and stored in the data dir as the runner starts).
    let workerCredentials: WorkerCredentials
    let awsRegion: String
    /// The WebSocket API's stage (its URL path), when the template has one.
    let webSocketStage: String?
    let metrics: RunnerMetrics
    let logger: Logger
    let ready = AsyncValue<RunnerAddresses>()

    init(
        configuration: RunnerConfiguration, infrastructure: InfrastructureService, lambda: LambdaService,
        bridge: TopicBridge, events: EventStream, httpPort: AsyncValue<Int>, dataAPIKey: String,
        workerCredentials: WorkerCredentials, awsRegion: String, webSocketStage: String?, metrics: RunnerMetrics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.infrastructure = infrastructure
        self.lambda = lambda
        self.bridge = bridge
        self.events = events
        self.httpPort = httpPort
        self.dataAPIKey = dataAPIKey
        self.workerCredentials = workerCredentials
        self.awsRegion = awsRegion
        self.webSocketStage = webSocketStage
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        guard case .success(let mqtt) = await infrastructure.started.value else { return }
        let port = await httpPort.value
        let base = "http://\(configuration.host):\(port)"
        // Workers reach the Data API process directly, as functions reach the managed service in the cloud; its
        // port stays the same across its restarts.
        let dataAPI = await infrastructure.dataAPIProcess.value
        var environment = [
            "DATA_API_URL": dataAPI.baseURL, "DATA_API_KEY": dataAPIKey, "IOT_DATA_ENDPOINT": base,
            "OCPP_CONNECTIONS_ENDPOINT": base,
            "TZ": "UTC", "LANG": "C.UTF-8",
        ]
        let inherited = ProcessInfo.processInfo.environment
        for name in ["PATH", "LD_LIBRARY_PATH", "HOME"] { environment[name] = inherited[name] }
        try workerCredentials.store(at: DataDirectory(path: configuration.dataDirectory).awsCredentialsFile)
        environment.merge(workerCredentials.environment(region: awsRegion)) { _, signing in signing }
        let access = await infrastructure.access.value
        // The runner plays the IoT side that makes broker users (PUT /_iot/mqtt-clients), when it runs the broker.
        if access.admin != nil { environment["IOT_CLIENTS_ENDPOINT"] = base }
        lambda.setRunnerEnvironment(environment)

        let clientID = InfrastructureService.bridgeClientID(dataDirectory: configuration.dataDirectory)
        for (index, companion) in infrastructure.companions.enumerated() {
            do {
                let publish = try await access.connect(
                    companion, endpoint: mqtt, clientID: "\(clientID)-companion-\(index)", metrics: metrics,
                    logger: Logger(label: "evcsm.mqtt"))
                await companion.start(apiURL: base, publish: publish)
            } catch {
                logger.error("MQTT: cannot connect \(companion.mqttUsername): \(error.message)")
            }
        }
        if configuration.prewarm { await lambda.prewarm() }
        let broker = await infrastructure.broker.value
        let websockets = broker.map { "ws://\(configuration.host):\($0.ports.websockets)" }
        let addresses = RunnerAddresses(http: base, mqtt: mqtt, websockets: websockets)
        printBanner(addresses, dataAPI: dataAPI.baseURL, mqttUsers: access.developmentUsers)
        ready.set(addresses)

        try? await gracefulShutdown()
        logger.info("shutting down: finishing in-flight work")
        for companion in infrastructure.companions { await companion.stop() }
        events.close()
        await bridge.drain()
    }

    func printBanner(_ a: RunnerAddresses, dataAPI: String, mqttUsers: [MQTTCredentials]) {
        let functions = lambda.queues.keys.sorted().joined(separator: ", ")
        var lines = [
            "",
            "  evcsm-local is running",
            "",
            "  Web page:   \(a.http)/",
            "  API:        \(a.http)/api/ChargingSessionAPI",
            "  Swagger:    \(a.http)/swagger/index.html",
            "  Events:     \(a.http)/events",
            "  Data API:   \(a.http)/data-api (key in \(configuration.dataDirectory)/data-api-key; "
                + "evcsm-data-api on \(dataAPI))",
            "  Metrics:    \(a.http)/metrics",
            "  MQTT:       \(a.mqtt)",
        ]
        if let ws = a.websockets { lines.append("  MQTT/WS:    \(ws)") }
        if let stage = webSocketStage {
            let ocpp = "ws" + a.http.dropFirst("http".count) + "/\(stage)/{chargePointId}"
            lines.append("  OCPP:       \(ocpp)  (OCPP 1.6J, subprotocol ocpp1.6)")
        }
        lines += mqttUsers.map {
            "  MQTT user:  \($0.username) / \($0.password)  (\(configuration.dataDirectory)/mqtt-\($0.username).json)"
        }
        lines.append(configuration.auth.bannerLine(baseURL: a.http))
        lines.append("  Functions:  \(functions)")
        lines += infrastructure.companions.map { "  \($0.bannerLine)" }
        lines += ["", "  Press Ctrl-C to stop.", ""]
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
