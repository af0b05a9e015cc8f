import Foundation
import FunctionRuntime
import Hummingbird
import Logging
import ServiceLifecycle

/// The assembled runner: the HTTP application plus the services around it (broker, IoT bridge, workers).
public struct RunnerApplication: Sendable {
    /// The HTTP application (API Gateway, Data API, IoT Data Plane, SSE, Swagger, health, web page).
    public let app: Application<RouterResponder<BasicRequestContext>>
    let infrastructure: InfrastructureService
    let ingress: IngressService
    public let lambda: LambdaService
    public let template: TemplateModel
    let logger: Logger

    /// Runs until SIGINT/SIGTERM, then shuts down in order: stop taking MQTT messages and finish their
    /// invocations, stop accepting HTTP and finish in-flight requests, stop workers, the MQTT client and the
    /// broker it started.
    public func run() async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [infrastructure, app, ingress], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }

    /// The bound addresses, once the runner is up.
    public var addresses: RunnerAddresses { get async { await ingress.ready.value } }
}

/// Where a running runner can be reached.
public struct RunnerAddresses: Sendable, Equatable {
    public var http: String
    public var mqtt: MQTTEndpoint
    /// `ws://host:port` when the runner started the broker.
    public var websockets: String?
}

/// Builds the runner from its configuration: loads the template (startup errors name the resource) and
/// wires every emulated service. Nothing starts until ``RunnerApplication/run()``. `companions` run beside the
/// services once they are up (the charger simulator); the runner knows nothing of what they do.
public func buildApplication(
    configuration: RunnerConfiguration, companions: [any RunnerCompanion] = []
) async throws -> RunnerApplication {
    let logger = Logger(label: "evcsm.local")
    let template = try TemplateLoader().load(path: configuration.templatePath)
    do {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
    } catch {
        throw LocalRunnerError(
            .io, "cannot create data dir \(configuration.dataDirectory): \(error.localizedDescription)")
    }
    let metrics = RunnerMetrics()
    let lambda = LambdaService(
        template: template, functionsDirectory: configuration.functionsDirectory,
        concurrency: configuration.concurrency, metrics: metrics, logger: Logger(label: "evcsm.lambda"))
    let events = EventStream(keepAlive: configuration.keepAlive)
    let deadLetters = DeadLetterFile(
        path: URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("dead-letters.jsonl").path)
    let bridge = TopicBridge(
        template: template, invoker: lambda, deadLetters: deadLetters, metrics: metrics,
        logger: Logger(label: "evcsm.iot"), retryDelays: configuration.retryDelays)
    let publisher = AsyncValue<any MessagePublisher>()
    let dataAPIKey = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
    let keyPath = URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("data-api-key").path
    _ = FileManager.default.createFile(
        atPath: keyPath, contents: Data((dataAPIKey + "\n").utf8), attributes: [.posixPermissions: 0o600])

    let router = Router()
    router.middlewares.add(ErrorEnvelopeMiddleware())
    router.middlewares.add(
        APIGatewayMiddleware(
            gateway: APIGateway(
                routes: RouteTable(template: template), invoker: lambda, metrics: metrics,
                logger: Logger(label: "evcsm.apigateway"))))
    router.middlewares.add(
        FileMiddleware(configuration.webDirectory, searchForIndexHtml: true, logger: Logger(label: "evcsm.web")))
    try DataAPIMount.addRoutes(
        to: router, configuration: configuration, apiKey: dataAPIKey, logger: Logger(label: "evcsm.data-api"))
    IoTDataPlane(publisher: publisher, metrics: metrics).addRoutes(to: router)
    events.addRoutes(to: router)
    Swagger(openAPIPath: configuration.openAPIPath, assetsDirectory: configuration.swaggerUIDirectory)
        .addRoutes(to: router)

    let infrastructure = InfrastructureService(
        configuration: configuration, lambda: lambda, bridge: bridge, events: events, publisher: publisher,
        companions: companions, logger: logger)
    Health(
        metrics: metrics, started: .now, brokerConnected: { infrastructure.connection.current?.isConnected ?? false },
        functionCount: template.functions.count
    ).addRoutes(to: router)

    let httpPort = AsyncValue<Int>()
    let ingress = IngressService(
        configuration: configuration, infrastructure: infrastructure, lambda: lambda, bridge: bridge, events: events,
        httpPort: httpPort, dataAPIKey: dataAPIKey, metrics: metrics, logger: logger)
    var app = Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: nil),
        onServerRunning: { channel in httpPort.set(channel.localAddress?.port ?? configuration.port) },
        logger: Logger(label: "evcsm.http"))
    app.beforeServerStarts {
        _ = try await infrastructure.started.value.get()
    }
    return RunnerApplication(
        app: app, infrastructure: infrastructure, ingress: ingress, lambda: lambda, template: template, logger: logger)
}

/// Broker, MQTT client and workers: started first, stopped last.
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
    let lambda: LambdaService
    let bridge: TopicBridge
    let events: EventStream
    let publisher: AsyncValue<any MessagePublisher>
    let logger: Logger
    let connection = AsyncValue<MQTTConnection>()
    let broker = AsyncValue<BrokerProcess?>()
    let started = AsyncValue<Result<MQTTEndpoint, LocalRunnerError>>()
    /// Companions and their topic filters; they get messages once started (set by ``IngressService``).
    let companions: [any RunnerCompanion]
    let startedCompanions = AsyncValue<[any RunnerCompanion]>()

    init(
        configuration: RunnerConfiguration, lambda: LambdaService, bridge: TopicBridge, events: EventStream,
        publisher: AsyncValue<any MessagePublisher>, companions: [any RunnerCompanion], logger: Logger
    ) {
        self.companions = companions
        self.configuration = configuration
        self.lambda = lambda
        self.bridge = bridge
        self.events = events
        self.publisher = publisher
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
        connection.current?.close()
        logger.debug("MQTT client closed")
        if let broker = broker.current ?? nil { await broker.stop() }
        logger.info("evcsm-local stopped")
    }

    func startUp() async throws(LocalRunnerError) {
        let endpoint: MQTTEndpoint
        if let url = configuration.mqttURL {
            endpoint = try MQTTEndpoint(url: url)
            broker.set(nil)
        } else {
            let started = try await BrokerProcess.start(
                host: configuration.host, mqttPort: configuration.mqttPort,
                websocketsPort: configuration.mqttWebSocketsPort, dataDirectory: configuration.dataDirectory,
                logger: Logger(label: "evcsm.mosquitto"))
            broker.set(started)
            endpoint = MQTTEndpoint(host: configuration.host, port: started.ports.mqtt)
        }
        let bridge = self.bridge
        let events = self.events
        let companions = self.startedCompanions
        // A persistent session under a client id that is stable for this data directory: QoS 1 messages that
        // arrive while the bridge is reconnecting, or while the runner is down (with --mqtt-url), are kept by
        // the broker and delivered afterwards, as an IoT rule would still have run them.
        let client = try MQTTConnection(
            endpoint: endpoint, clientID: Self.bridgeClientID(dataDirectory: configuration.dataDirectory),
            cleanSession: false, logger: Logger(label: "evcsm.mqtt")
        ) { message in
            bridge.accept(message)
            events.accept(message)
            for companion in companions.current ?? []
            where companion.topicFilters.contains(where: { TopicFilter.matches($0, topic: message.topic) }) {
                Task { await companion.accept(topic: message.topic, payload: message.payload) }
            }
        }
        client.subscribe(bridge.filters + EventStream.topics + self.companions.flatMap(\.topicFilters))
        try client.start()
        connection.set(client)
        publisher.set(client)
        if await !client.waitUntilConnected(timeout: .seconds(10)) {
            logger.warning("MQTT broker at \(endpoint) not reachable yet; will keep retrying")
        }
        started.set(.success(endpoint))
    }
}

/// MQTT ingress (IoT rules, simulator) and the start banner: started last, stopped first.
final class IngressService: Service {
    let configuration: RunnerConfiguration
    let infrastructure: InfrastructureService
    let lambda: LambdaService
    let bridge: TopicBridge
    let events: EventStream
    let httpPort: AsyncValue<Int>
    let dataAPIKey: String
    let metrics: RunnerMetrics
    let logger: Logger
    let ready = AsyncValue<RunnerAddresses>()

    init(
        configuration: RunnerConfiguration, infrastructure: InfrastructureService, lambda: LambdaService,
        bridge: TopicBridge, events: EventStream, httpPort: AsyncValue<Int>, dataAPIKey: String,
        metrics: RunnerMetrics, logger: Logger
    ) {
        self.configuration = configuration
        self.infrastructure = infrastructure
        self.lambda = lambda
        self.bridge = bridge
        self.events = events
        self.httpPort = httpPort
        self.dataAPIKey = dataAPIKey
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        guard case .success(let mqtt) = await infrastructure.started.value else { return }
        let port = await httpPort.value
        let base = "http://\(configuration.host):\(port)"
        var environment = [
            "DATA_API_URL": "\(base)/data-api", "DATA_API_KEY": dataAPIKey, "IOT_DATA_ENDPOINT": base,
            "TZ": "UTC", "LANG": "C.UTF-8",
        ]
        let inherited = ProcessInfo.processInfo.environment
        for name in ["PATH", "LD_LIBRARY_PATH", "HOME"] { environment[name] = inherited[name] }
        lambda.setRunnerEnvironment(environment)

        let client = await infrastructure.connection.value
        let metrics = self.metrics
        let publish: @Sendable (String, [UInt8]) -> Bool = { topic, payload in
            do {
                try client.publish(topic: topic, payload: payload, qos: 1)
                metrics.recordMQTTOut(topic: topic)
                return true
            } catch {
                return false
            }
        }
        for companion in infrastructure.companions { await companion.start(apiURL: base, publish: publish) }
        infrastructure.startedCompanions.set(infrastructure.companions)
        if configuration.prewarm { await lambda.prewarm() }
        let broker = await infrastructure.broker.value
        let websockets = broker.map { "ws://\(configuration.host):\($0.ports.websockets)" }
        let addresses = RunnerAddresses(http: base, mqtt: mqtt, websockets: websockets)
        printBanner(addresses)
        ready.set(addresses)

        try? await gracefulShutdown()
        logger.info("shutting down: finishing in-flight work")
        for companion in infrastructure.companions { await companion.stop() }
        events.close()
        await bridge.drain()
    }

    func printBanner(_ a: RunnerAddresses) {
        let functions = lambda.queues.keys.sorted().joined(separator: ", ")
        var lines = [
            "",
            "  evcsm-local is running",
            "",
            "  Web page:   \(a.http)/",
            "  API:        \(a.http)/api/ChargingSessionAPI",
            "  Swagger:    \(a.http)/swagger/index.html",
            "  Events:     \(a.http)/events",
            "  Data API:   \(a.http)/data-api (key in \(configuration.dataDirectory)/data-api-key)",
            "  Metrics:    \(a.http)/metrics",
            "  MQTT:       \(a.mqtt)",
        ]
        if let ws = a.websockets { lines.append("  MQTT/WS:    \(ws)") }
        lines.append("  Functions:  \(functions)")
        lines += infrastructure.companions.map { "  \($0.bannerLine)" }
        lines += ["", "  Press Ctrl-C to stop.", ""]
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}

/// Routes template HttpApi paths to ``APIGateway``; everything else goes on to the other routes.
struct APIGatewayMiddleware: RouterMiddleware {
    let gateway: APIGateway

    func handle(
        _ request: Request, context: BasicRequestContext,
        next: (Request, BasicRequestContext) async throws -> Response
    ) async throws -> Response {
        if let match = gateway.routes.match(method: request.method.rawValue, path: request.uri.path) {
            return await gateway.respond(to: request, match: match)
        }
        return try await next(request, context)
    }
}

/// Turns errors thrown by routes (unknown path, bad request) into the `{error, message, timestamp}` envelope.
struct ErrorEnvelopeMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: BasicRequestContext,
        next: (Request, BasicRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let status = Int(error.status.code)
            let name: String
            switch status {
            case 404: name = "NotFound"
            case 405: name = "MethodNotAllowed"
            case 413: name = "PayloadTooLarge"
            case 503: name = "ServiceUnavailable"
            case 400..<500: name = "BadRequest"
            default: name = "InternalServerError"
            }
            let message =
                error.body ?? (status == 404 ? "No route for \(request.method) \(request.uri.path)" : "\(error.status)")
            return APIGateway.httpResponse(.error(status: status, error: name, message: message))
        }
    }
}
