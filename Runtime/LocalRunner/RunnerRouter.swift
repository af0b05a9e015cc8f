import DataAPIServer
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
    /// The Data API's store (opened at start-up; see ``DeferredDocumentBackend``).
    var dataAPI: any DocumentBackend
    var dataAPIKey: String
    /// Whether the bridge's broker connection is up (for `/healthz`).
    var brokerConnected: @Sendable () -> Bool
    /// When the runner was built (for the uptime in `/healthz`).
    var started: ContinuousClock.Instant = .now
}

/// Every HTTP route of the runner: API Gateway (template routes), the web page, the Data API, the IoT Data
/// Plane, SSE, Swagger, `/healthz` and `/metrics`, and `/_bench/hello` when
/// ``RunnerConfiguration/benchRoute`` is set. Middlewares come first: they apply only to routes added after them.
func buildRouter(configuration: RunnerConfiguration, services: RouterServices) -> Router<BasicRequestContext> {
    let router = Router()
    router.middlewares.add(ErrorEnvelopeMiddleware(metrics: services.metrics))
    router.middlewares.add(
        APIGatewayMiddleware(
            gateway: APIGateway(
                routes: RouteTable(template: services.template), invoker: services.invoker,
                metrics: services.metrics, logger: Logger(label: "evcsm.apigateway"))))
    router.middlewares.add(
        FileMiddleware(configuration.webDirectory, searchForIndexHtml: true, logger: Logger(label: "evcsm.web")))
    DataAPIMount.addRoutes(
        to: router, backend: services.dataAPI, apiKey: services.dataAPIKey, logger: Logger(label: "evcsm.data-api"))
    IoTDataPlane(publisher: services.publisher, metrics: services.metrics).addRoutes(to: router)
    services.events.addRoutes(to: router)
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
    return router
}
