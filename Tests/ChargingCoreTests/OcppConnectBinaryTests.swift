import ChargingCore
import Foundation
import TestSupport
import Testing

@Suite("OcppConnect binary")
struct OcppConnectBinaryTests {
    /// The stored `ChargingPoints` document of CP-0001 with the fixture's password, as canonical EJSON.
    static func storedRegistration() -> String {
        let hash = PasswordHash.make(password: OcppWorld.password, iterations: 10)
        return #"""
            {"_id":"CP-0001","ocpp":true,"provisioned":true,"activeSessionId":null,
             "registeredAt":{"$date":{"$numberLong":"1795600000000"}},
             "connectors":[{"connectorId":{"$numberLong":"1"},"maxPower":{"$numberDouble":"22.0"}}],
             "credentials":{"scheme":"pbkdf2-sha256","iterations":{"$numberLong":"10"},
               "salt":"\#(Data(hash.salt).base64EncodedString())","hash":"\#(Data(hash.hash).base64EncodedString())"}}
            """#
    }

    @Test("OcppConnect --event <the $connect fixture> accepts with ocpp1.6, stores the connection and publishes")
    func connectBinary() async throws {
        guard let binDir = ProcessInfo.processInfo.environment["EVCSM_BIN_DIR"], !binDir.isEmpty else {
            Issue.record("EVCSM_BIN_DIR is not set: run `make swift-test` (or set it to the debug bin dir)")
            return
        }
        let binary = URL(fileURLWithPath: binDir).appendingPathComponent("OcppConnect").path
        let registration = Self.storedRegistration()
        let (status, output, errors, requests) = try await StubHTTPServer.withServer({ request in
            switch request.path {
            case "/data-api/action/findOne": return .json(#"{"document":\#(registration)}"#)
            case "/data-api/action/updateOne": return .json(#"{"matchedCount":1,"modifiedCount":1}"#)
            case let path where path.hasPrefix("/topics/"): return .json("{}")
            default: return .json(#"{"error":"unexpected","error_code":"ActionNotFound"}"#, status: 404)
            }
        }) { server in
            let child = try ChildProcess.start(
                binary, arguments: ["--event", Fixture.path("events/websocket-connect.json")],
                environment: [
                    "DATA_API_URL": server.baseURL + "/data-api", "DATA_API_KEY": "binary-test-key",
                    "IOT_DATA_ENDPOINT": server.baseURL, "OCPP_CONNECTIONS_ENDPOINT": server.baseURL,
                    "AWS_LAMBDA_RUNTIME_API": "", "LOG_LEVEL": "debug",
                ])
            let status = try await child.wait(timeout: .seconds(60))
            return (status, child.standardOutputText, child.standardErrorText, server.requests)
        }
        #expect(status == 0, "stderr: \(errors)")
        let printed = try #require(
            try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "stdout: \(output)")
        #expect(printed["statusCode"] as? Int == 200)
        #expect((printed["headers"] as? [String: String])?["Sec-WebSocket-Protocol"] == "ocpp1.6")
        let paths = requests.map(\.path)
        #expect(paths.filter { $0 == "/data-api/action/updateOne" }.count == 2, "\(paths)")
        #expect(requests.contains { $0.bodyText.contains(#""collection":"OcppConnections""#) })
        let published = try #require(requests.first { $0.path.hasPrefix("/topics/") })
        #expect(published.bodyText.contains(#""connected":true"#))
        #expect(!errors.contains(OcppWorld.password) && !errors.contains("Q1AtMDAwMTpmaXh0dXJl"))
    }
}
