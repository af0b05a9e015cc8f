import Foundation
import FunctionRuntime
import Hummingbird
import HummingbirdTesting
import Testing

@testable import LocalRunner

/// The template's routes as Hummingbird router routes: API Gateway's choice for every path and method, and the
/// runner's own routes and Web files never shadowed.
@Suite("API Gateway routes on the router")
struct APIGatewayRoutesTests {
    static let template = TemplateModel(functions: [
        FunctionDefinition(
            logicalId: "Sessions",
            routes: [
                RouteDefinition(method: "GET", path: "/api/sessions/{sessionId}"),
                RouteDefinition(method: "GET", path: "/api/sessions/latest"),
                RouteDefinition(method: "DELETE", path: "/api/sessions/{id}"),
                RouteDefinition(method: "POST", path: "/api/sessions/{sessionId}/stop"),
                RouteDefinition(method: "POST", path: "/api/x/latest"),
                RouteDefinition(method: "GET", path: "/api/x/{id}"),
                RouteDefinition(method: "GET", path: "/a/b/c"),
                RouteDefinition(method: "GET", path: "/a/{x}"),
            ]),
        FunctionDefinition(
            logicalId: "Files",
            routes: [
                RouteDefinition(method: "ANY", path: "/files/{path+}"),
                RouteDefinition(method: "GET", path: "/files/readme"),
            ]),
        FunctionDefinition(
            logicalId: "Proxy",
            routes: [
                RouteDefinition(method: "GET", path: "/{proxy+}"),
                // The runner's own paths: not served from the template, and no crash for the exact duplicate.
                RouteDefinition(method: "GET", path: "/healthz"),
                RouteDefinition(method: "POST", path: "/topics/{topic}"),
                RouteDefinition(method: "GET", path: "/events/{id}"),
            ]),
    ])

    /// A Lambda stand-in that answers with the route key and path parameters of the event it got.
    static let echo = FakeInvoker { payload in
        guard let event = try? JSONDecoder().decode(APIGatewayV2Request.self, from: Data(payload)) else {
            return .functionError(Array("undecodable".utf8))
        }
        let parameters = (event.pathParameters ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let body = ([event.routeKey] + parameters).joined(separator: " ")
        return .success(APIGatewayV2Response(statusCode: 200, body: body).jsonBytes())
    }

    static func router(metrics: RunnerMetrics = RunnerMetrics()) -> Router<BasicRequestContext> {
        var configuration = RunnerConfiguration()
        configuration.webDirectory = TestEnvironment.root + "/Web"
        configuration.swaggerUIDirectory = "/nonexistent"
        let services = RouterServices(
            template: template, invoker: echo, metrics: metrics, events: EventStream(), publisher: AsyncValue(),
            dataAPI: DataAPIUpstream(), brokerConnected: { true })
        return buildRouter(configuration: configuration, services: services)
    }

    /// Sends `method path` and returns the status and body.
    static func send(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String
    ) async throws
        -> (Int, String)
    {
        try await client.execute(uri: path, method: method) { response in
            (Int(response.status.code), String(buffer: response.body))
        }
    }

    @Test(
        "parameters, greedy paths and API Gateway's priority: literal, then parameter, then greedy",
        arguments: [
            ("GET", "/api/sessions/latest", "GET /api/sessions/latest"),
            ("GET", "/api/sessions/a%20b", "GET /api/sessions/{sessionId} sessionId=a b"),
            ("DELETE", "/api/sessions/s-1", "DELETE /api/sessions/{id} id=s-1"),
            ("POST", "/api/sessions/s-1/stop", "POST /api/sessions/{sessionId}/stop sessionId=s-1"),
            ("POST", "/api/sessions/latest/stop", "POST /api/sessions/{sessionId}/stop sessionId=latest"),
            ("GET", "/api/x/latest", "GET /api/x/{id} id=latest"),
            ("POST", "/api/x/latest", "POST /api/x/latest"),
            ("GET", "/a/b", "GET /a/{x} x=b"),
            ("GET", "/a/b/c", "GET /a/b/c"),
            ("GET", "/files/readme", "GET /files/readme"),
            ("PUT", "/files/readme", "ANY /files/{path+} path=readme"),
            ("DELETE", "/files/x/y%2Fz.txt", "ANY /files/{path+} path=x/y/z.txt"),
            ("HEAD", "/api/sessions/s-2", "GET /api/sessions/{sessionId} sessionId=s-2"),
            ("GET", "/api/other", "GET /{proxy+} proxy=api/other"),
            ("GET", "/a/b/c/d", "GET /{proxy+} proxy=a/b/c/d"),
            ("GET", "/files", "GET /{proxy+} proxy=files"),
            ("GET", "/nowhere/at/all", "GET /{proxy+} proxy=nowhere/at/all"),
            ("GET", "/api/sessions/s-1/stop/more", "GET /{proxy+} proxy=api/sessions/s-1/stop/more"),
        ])
    func mapping(method: String, path: String, expected: String) async throws {
        try await Application(router: Self.router()).test(.router) { client in
            let (status, body) = try await Self.send(client, HTTPRequest.Method(method)!, path)
            #expect(status == 200)
            if method != "HEAD" { #expect(body == expected) }
        }
        let table = RouteTable(template: Self.template)
        let choice = try #require(table.match(method: method, path: String(path.split(separator: "?")[0])))
        #expect(expected.hasPrefix(choice.route.routeKey + " ") || expected == choice.route.routeKey)
    }

    @Test("the runner's routes and Web files are never shadowed by a template route, not even GET /{proxy+}")
    func noShadowing() async throws {
        try await Application(router: Self.router()).test(.router) { client in
            let (health, healthBody) = try await Self.send(client, .get, "/healthz")
            #expect(health == 200)
            #expect(healthBody.contains(#""status":"ok""#))
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            }
            let (index, indexBody) = try await Self.send(client, .get, "/")
            #expect(index == 200)
            #expect(indexBody.contains("<html"))
            let (file, fileBody) = try await Self.send(client, .get, "/index.html")
            #expect(file == 200)
            #expect(fileBody == indexBody)
            let (swagger, _) = try await Self.send(client, .get, "/swagger/not-an-asset.js")
            #expect(swagger == 404)
            let (topics, topicsBody) = try await Self.send(client, .post, "/topics/a%2Fb")
            #expect(topics == 403)  // the IoT Data Plane itself: an unsigned publish is refused
            #expect(!topicsBody.contains("POST /topics"))
            let (events, _) = try await Self.send(client, .get, "/events/1")
            #expect(events == 404)
        }
    }

    @Test("a method a template path does not serve is a 405 with Allow; a path nothing serves stays a 404")
    func methodWithoutRoute() async throws {
        let metrics = RunnerMetrics()
        try await Application(router: Self.router(metrics: metrics)).test(.router) { client in
            for (method, path) in [
                (HTTPRequest.Method.post, "/api/sessions/s-1"), (.put, "/api/x/latest"), (.post, "/a/b"),
                (.delete, "/nowhere"),  // the template's GET /{proxy+} serves every path
            ] {
                try await client.execute(uri: path, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers[.allow]?.contains("GET") == true, "\(method) \(path)")
                    let envelope = try JSONDecoder().decode(ErrorEnvelope.self, from: Data(buffer: response.body))
                    #expect(envelope.error == "MethodNotAllowed")
                }
            }
            for (method, path) in [(HTTPRequest.Method.post, "/healthz")] {
                let (status, body) = try await Self.send(client, method, path)
                #expect(status == 404, "\(method) \(path)")
                let envelope = try JSONDecoder().decode(ErrorEnvelope.self, from: Data(body.utf8))
                #expect(envelope.error == "NotFound")
                #expect(envelope.message == "No route for \(method) \(path)")
            }
        }
        #expect(metrics.prometheusText().contains(#"evcsm_http_requests_total{route="unmatched",status="404"} 1"#))
    }

    @Test("routes under the runner's own first segments are left out; the router's routes are compiled once")
    func compilation() {
        let table = RouteTable(template: Self.template)
        let (routes, refused) = table.routerRoutes(reservedSegments: ["healthz", "topics", "events"])
        #expect(Set(refused.map(\.route.routeKey)) == ["GET /healthz", "POST /topics/{topic}", "GET /events/{id}"])
        let paths = Set(routes.map(\.path))
        #expect(paths.contains("/api/sessions/:p2"))
        #expect(paths.contains("/files/**"))
        #expect(paths.contains("/**"))
        // `GET /{proxy+}` again under each first literal (next to `/a/{x}` as `/a/:p1/**`), and `/a/b` because
        // `/a/{x}` matches it.
        #expect(paths.isSuperset(of: ["/api/**", "/a/:p1/**", "/files", "/a/b"]))
        #expect(!paths.contains("/a/**"))
        #expect(!paths.contains { $0.hasPrefix("/healthz") || $0.hasPrefix("/topics") || $0.hasPrefix("/events") })
        let get = routes.first { $0.path == "/api/x/latest" && $0.method == .get }
        guard case .bound(let binding) = get?.target else {
            Issue.record("GET /api/x/latest is not bound")
            return
        }
        #expect(binding.route.routeKey == "GET /api/x/{id}")
        #expect(binding.pathParameters("/api/x/latest") == ["id": "latest"])
        #expect(routes.contains { $0.path == "/**" && $0.method == .head })
        #expect(!routes.contains { $0.path == "/**" && $0.method == .post })
    }

    @Test("routes that overlap only partly are matched per request, as API Gateway would")
    func partialOverlap() async throws {
        let template = TemplateModel(functions: [
            FunctionDefinition(
                logicalId: "F",
                routes: [
                    RouteDefinition(method: "POST", path: "/m/c/{y}"),
                    RouteDefinition(method: "GET", path: "/m/{x}/b"),
                    RouteDefinition(method: "GET", path: "/m/{rest+}"),
                ])
        ])
        let table = RouteTable(template: template)
        let (routes, _) = table.routerRoutes(reservedSegments: [])
        let target = routes.first { $0.path == "/m/c/:p2" && $0.method == .get }?.target
        guard case .matched = target else {
            Issue.record("GET /m/c/{y} should be matched per request, got \(String(describing: target))")
            return
        }
        let router = Router()
        router.middlewares.add(ErrorEnvelopeMiddleware(metrics: RunnerMetrics()))
        APIGateway(routes: table, invoker: Self.echo, metrics: RunnerMetrics(), logger: .init(label: "test"))
            .addRoutes(to: router)
        try await Application(router: router).test(.router) { client in
            let getB = try await Self.send(client, .get, "/m/c/b")
            #expect(getB.1 == "GET /m/{x}/b x=c")
            let getD = try await Self.send(client, .get, "/m/c/d")
            #expect(getD.1 == "GET /m/{rest+} rest=c/d")
            let postD = try await Self.send(client, .post, "/m/c/d")
            #expect(postD.1 == "POST /m/c/{y} y=d")
            let putD = try await Self.send(client, .put, "/m/c/d")
            #expect(putD.0 == 404)
        }
    }
}

@Suite("API Gateway request ids")
struct RequestIDTests {
    @Test("request ids are version 4 UUIDs in lower case, unique without a random number per request")
    func requestIDs() throws {
        var seen: Set<String> = []
        for _ in 0..<10_000 {
            let id = RequestID.next()
            #expect(id == id.lowercased())
            let uuid = try #require(UUID(uuidString: id))
            #expect(uuid.uuidString.lowercased() == id)
            #expect(Array(id)[14] == "4")
            #expect("89ab".contains(Array(id)[19]))
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }
}
