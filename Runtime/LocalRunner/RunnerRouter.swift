import Foundation
import Hummingbird
import Logging

/// What the HTTP routes are wired to; ``buildApplication(configuration:companions:)`` passes the real
/// services, tests pass fakes.
struct RouterServices: Sendable {
    var template: TemplateModel
    /// Lambda, as API Gateway sees it.
    var invoker: any FunctionInvoker
    var metrics: RunnerMetrics
    var events: EventStream
    /// The bridge's MQTT connection, once it exists (IoT Data Plane publishes through it).
    var publisher: AsyncValue<any MessagePublisher>
    /// Where the Data API process is (the `/data-api` mount proxies to it).
    var dataAPI: DataAPIUpstream
    /// Whether the bridge's broker connection is up (for `/healthz`).
    var brokerConnected: @Sendable () -> Bool
    /// When the runner was built (for the uptime in `/healthz`).
    var started: ContinuousClock.Instant = .now
    /// The EventBridge schedules (`POST /_schedules/{function}`), when there are any.
    var schedules: ScheduleService? = nil
    /// The broker's users, for `PUT /_iot/mqtt-clients/{username}` (not served when nil).
    var mqttAccess: AsyncValue<MQTTAccess>? = nil
    /// SigV4 for the IoT routes (`/topics`, `/_iot/*`): the workers' credentials; the default accepts nobody.
    var iotDataVerifier = SigV4Verifier(credentials: [:], region: "us-east-1", service: "iotdata")
    /// The HTTP API JWT authorizer (and `/auth/config`, `/dev/token`, `/.well-known/*`); nil checks nothing.
    var authorizer: JWTAuthorizer? = nil
    /// The template's WebSocket API (its `@connections` routes); nil when the template has none.
    var webSocket: WebSocketGateway? = nil
    /// SigV4 for `@connections` (service `execute-api`, the workers' credentials); the default accepts nobody.
    var connectionsVerifier = SigV4Verifier(credentials: [:], region: "us-east-1", service: "execute-api")
}

/// Every HTTP route of the runner: the web page, the Data API, the IoT Data Plane, SSE, the WebSocket API's
/// `@connections`, Swagger, `/healthz` and
/// `/metrics`, `/_bench/hello` when ``RunnerConfiguration/benchRoute`` is set, and API Gateway (the template's
/// routes, as router routes bound to their functions). Middlewares come first: they apply only to routes added
/// after them.
func buildRouter(configuration: RunnerConfiguration, services: RouterServices) -> Router<BasicRequestContext> {
    let router = Router()
    let routes = RouteTable(template: services.template)
    router.middlewares.add(ErrorEnvelopeMiddleware(metrics: services.metrics, routes: routes))
    router.middlewares.add(
        FileMiddleware(configuration.webDirectory, searchForIndexHtml: true, logger: Logger(label: "evcsm.web")))
    DataAPIMount.addRoutes(to: router, upstream: services.dataAPI, logger: Logger(label: "evcsm.data-api"))
    IoTDataPlane(publisher: services.publisher, metrics: services.metrics, verifier: services.iotDataVerifier)
        .addRoutes(to: router)
    if let access = services.mqttAccess {
        MQTTClientsRoute(access: access, verifier: services.iotDataVerifier, logger: Logger(label: "evcsm.iot"))
            .addRoutes(to: router)
    }
    services.events.addRoutes(to: router)
    if let gateway = services.webSocket {
        WebSocketManagementRoutes(gateway: gateway, verifier: services.connectionsVerifier).addRoutes(to: router)
    }
    if let authorizer = services.authorizer { AuthRoutes(authorizer: authorizer).addRoutes(to: router) }
    Swagger(openAPIPath: configuration.openAPIPath, assetsDirectory: configuration.swaggerUIDirectory)
        .addRoutes(to: router)
    Health(
        metrics: services.metrics, started: services.started, brokerConnected: services.brokerConnected,
        functionCount: services.template.functions.count
    ).addRoutes(to: router)
    if configuration.benchRoute {
        // A bare route served by the same process, for `make bench` (not part of the API).
        router.get("/_bench/hello") { _, _ in "hello" }
    }
    services.schedules?.addRoutes(to: router, host: configuration.host)
    // Last, so that the runner's own paths are known and never shadowed by a template route.
    APIGateway(
        routes: routes, invoker: services.invoker, metrics: services.metrics,
        logger: Logger(label: "evcsm.apigateway"), authorizer: services.authorizer
    ).addRoutes(to: router, webPaths: webPaths(configuration.webDirectory))
    return router
}

/// The URL paths of the files under the Web directory (and of its folders that have an `index.html`, with
/// and without the trailing slash), as the file middleware serves them; empty when there is none.
func webPaths(_ directory: String, limit: Int = 10_000) -> Set<String> {
    let root = URL(fileURLWithPath: directory).standardizedFileURL.path
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
    var paths: Set<String> = []
    while let relative = enumerator.nextObject() as? String, paths.count < limit {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: "\(root)/\(relative)", isDirectory: &isDirectory) else { continue }
        if !isDirectory.boolValue {
            paths.insert("/\(relative)")
            if relative == "index.html" || relative.hasSuffix("/index.html") {
                let folder = String(relative.dropLast("index.html".count))
                paths.insert("/\(folder)")
                if !folder.isEmpty { paths.insert("/\(folder.dropLast())") }
            }
        }
    }
    return paths
}
