import ChargingCore
import FunctionRuntime
import TestSupport
import Testing

@Suite("APIGatewayConnections")
struct APIGatewayConnectionsTests {
    static func connections(_ server: StubHTTPServer, _ extra: [String: String] = [:]) throws -> APIGatewayConnections {
        let env = FunctionEnvironment(["OCPP_CONNECTIONS_ENDPOINT": server.baseURL + "/ocpp/"].merging(extra) { $1 })
        return try APIGatewayConnections.fromEnvironment(env)
    }

    @Test("POST {endpoint}/@connections/{id} with the frame as body, unsigned without credentials")
    func plainPost() async throws {
        let requests = try await StubHTTPServer.withServer({ _ in .text("") }) { server in
            let delivered = try await Self.connections(server).post(connectionId: "AbC-12_x", data: Array("[2]".utf8))
            #expect(delivered)
            return server.requests
        }
        let request = try #require(requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/ocpp/@connections/AbC-12_x")
        #expect(request.bodyText == "[2]")
        #expect(request.header("authorization") == nil)
    }

    @Test("signs with SigV4 for execute-api when AWS credentials are configured")
    func signed() async throws {
        let requests = try await StubHTTPServer.withServer({ _ in .text("") }) { server in
            let connections = try Self.connections(
                server,
                [
                    "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                    "AWS_SESSION_TOKEN": "token-1",
                ])
            #expect(connections.configuration.service == "execute-api")
            _ = try await connections.post(connectionId: "c1", data: Array("[]".utf8))
            try await connections.delete(connectionId: "c1")
            return server.requests
        }
        #expect(requests.map(\.method) == ["POST", "DELETE"])
        for request in requests {
            let authorization = try #require(request.header("authorization"))
            #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
            #expect(authorization.contains("/eu-west-1/execute-api/aws4_request"))
            #expect(request.header("x-amz-security-token") == "token-1")
            #expect(request.path == "/ocpp/@connections/c1")
        }
    }

    @Test("410 Gone is false; other non-2xx answers are errors")
    func goneAndErrors() async throws {
        try await StubHTTPServer.withServer({ request in
            request.path.hasSuffix("/gone")
                ? .json(#"{"message":"Gone"}"#, status: 410) : .json(#"{"message":"Forbidden"}"#, status: 403)
        }) { server in
            let connections = try Self.connections(server)
            let delivered = try await connections.post(connectionId: "gone", data: [])
            #expect(!delivered)
            await #expect(throws: FunctionRuntimeError.self) {
                _ = try await connections.post(connectionId: "other", data: [])
            }
            await #expect(throws: FunctionRuntimeError.self) { try await connections.delete(connectionId: "other") }
            try await connections.delete(connectionId: "gone")
        }
    }

    @Test("configuration errors name the variable")
    func configuration() throws {
        #expect(throws: FunctionRuntimeError.self) {
            try APIGatewayConnections.fromEnvironment(FunctionEnvironment([:]))
        }
        do {
            _ = try APIGatewayConnections.fromEnvironment(
                FunctionEnvironment(["OCPP_CONNECTIONS_ENDPOINT": "ws://x", "AWS_REGION": "eu-west-1"]))
            Issue.record("accepted a ws:// endpoint")
        } catch {
            #expect("\(error)".contains("OCPP_CONNECTIONS_ENDPOINT"))
        }
        do {
            _ = try APIGatewayConnections.fromEnvironment(
                FunctionEnvironment([
                    "OCPP_CONNECTIONS_ENDPOINT": "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": "a",
                    "AWS_SECRET_ACCESS_KEY": "b",
                ]))
            Issue.record("accepted credentials without a region")
        } catch {
            #expect("\(error)".contains("AWS_REGION"))
        }
    }
}
