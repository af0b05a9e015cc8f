import EventLoopGlobalExecutor
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The assembled runner: the HTTP application plus the services around it (broker, IoT bridge, workers).
public struct RunnerApplication: Sendable {
    /// Runs Swift concurrency's global executor on SwiftNIO's singleton event loops (the group Hummingbird
    /// serves on; ``EventLoopGlobalExecutor``, as evcsm-data-api does). Call once, first thing in `run()`;
    /// false when it could not (everything then runs on the cooperative pool as before).
    @discardableResult
    public static func installEventLoopExecutor() -> Bool { EventLoopGlobalExecutor.install() }

    /// The HTTP application (API Gateway, Data API proxy, IoT Data Plane, SSE, Swagger, health, web page).
    public let app: Application<PeerAddressResponder<RouterResponder<BasicRequestContext>>>
    let infrastructure: InfrastructureService
    let ingress: IngressService
    public let lambda: LambdaService
    let schedules: ScheduleService
    public let template: TemplateModel
    let logger: Logger

    /// Runs until SIGINT/SIGTERM, then shuts down in order: stop taking MQTT messages and finish their
    /// invocations, stop accepting HTTP and finish in-flight requests, stop workers, the Data API process, the
    /// MQTT client and the broker it started.
    public func run() async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [infrastructure, app, ingress, schedules], gracefulShutdownSignals: [.sigterm, .sigint],
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
/// wires every emulated service. Nothing starts, and nothing is written, until ``RunnerApplication/run()``:
/// the data directory and the Data API key file are made by the infrastructure service as it starts, which
/// then starts the Data API process (which opens the store) and the broker.
/// `companions` run beside the services once they are up (the charger simulator); the runner knows nothing
/// of what they do.
public func buildApplication(
    configuration: RunnerConfiguration, companions: [any RunnerCompanion] = []
) async throws -> RunnerApplication {
    let logger = Logger(label: "evcsm.local")
    try configuration.auth.validate(host: configuration.host)
    let template = try TemplateLoader().load(path: configuration.templatePath)
        .overridingEnvironment(configuration.auth.functionEnvironment.merging(configuration.functionEnvironment) { $1 })
    let dataDirectory = DataDirectory(path: configuration.dataDirectory)
    let metrics = RunnerMetrics()
    metrics.registerKnownSeries(template: template)
    let lambda = LambdaService(
        template: template, functionsDirectory: configuration.functionsDirectory,
        concurrency: configuration.concurrency, metrics: metrics, logger: Logger(label: "evcsm.lambda"))
    let authorizer = JWTAuthorizer(settings: configuration.auth, metrics: metrics)
    let webSocket = WebSocketGateway.make(
        template: template, invoker: lambda,
        settings: .from(environment: ProcessInfo.processInfo.environment), metrics: metrics)
    let events = EventStream(keepAlive: configuration.keepAlive, authorizer: authorizer)
    let schedules = ScheduleService(
        template: template, invoker: lambda, interval: configuration.scheduleInterval,
        logger: Logger(label: "evcsm.schedules"))
    let bridge = TopicBridge(
        template: template, invoker: lambda, deadLetters: DeadLetterFile(path: dataDirectory.deadLetterFile),
        metrics: metrics, logger: Logger(label: "evcsm.iot"), retryDelays: configuration.retryDelays)
    let publisher = AsyncValue<any MessagePublisher>()
    let dataAPI = DataAPIUpstream()
    let dataAPIKey = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
    let workerCredentials = WorkerCredentials.storedOrNew(at: dataDirectory.awsCredentialsFile)
    let awsRegion = WorkerCredentials.region(template: template, environment: ProcessInfo.processInfo.environment)

    let infrastructure = InfrastructureService(
        configuration: configuration, dataDirectory: dataDirectory, dataAPI: dataAPI, dataAPIKey: dataAPIKey,
        lambda: lambda, bridge: bridge, events: events, publisher: publisher, companions: companions,
        metrics: metrics, logger: logger)
    let router = buildRouter(
        configuration: configuration,
        services: RouterServices(
            template: template, invoker: lambda, metrics: metrics, events: events, publisher: publisher,
            dataAPI: dataAPI,
            brokerConnected: { infrastructure.connection.current?.isConnected ?? false }, schedules: schedules,
            mqttAccess: infrastructure.access, iotDataVerifier: workerCredentials.iotDataVerifier(region: awsRegion),
            authorizer: authorizer, webSocket: webSocket,
            connectionsVerifier: WebSocketManagementRoutes.verifier(credentials: workerCredentials, region: awsRegion)))

    let httpPort = AsyncValue<Int>()
    let ingress = IngressService(
        configuration: configuration, infrastructure: infrastructure, lambda: lambda, bridge: bridge, events: events,
        httpPort: httpPort, dataAPIKey: dataAPIKey, workerCredentials: workerCredentials, awsRegion: awsRegion,
        webSocketStage: webSocket?.api.stage, metrics: metrics, logger: logger)
    var app = Application(
        responder: PeerAddressResponder(router.buildResponder()),
        server: webSocket.map(WebSocketGatewayChannel.builder) ?? .http1(),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: nil),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            authorizer.serving(at: "http://\(configuration.host):\(port)")
            httpPort.set(port)
        },
        logger: Logger(label: "evcsm.http"))
    app.beforeServerStarts {
        _ = try await infrastructure.started.value.get()
        try await authorizer.prepare(dataDirectory: configuration.dataDirectory)
    }
    return RunnerApplication(
        app: app, infrastructure: infrastructure, ingress: ingress, lambda: lambda, schedules: schedules,
        template: template, logger: logger)
}
