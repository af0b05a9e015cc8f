import BSON
import Foundation
import TestSupport
import Testing

@testable import ChargingCore

@Suite("MqttAuthorizer binary")
struct MqttAuthorizerBinaryTests {
    @Test("MqttAuthorizer --event <fixture> reads the point from the Data API and prints the IoT answer")
    func binary() async throws {
        guard let binDir = ProcessInfo.processInfo.environment["EVCSM_BIN_DIR"], !binDir.isEmpty else {
            Issue.record("EVCSM_BIN_DIR is not set: run `make swift-test` (or set it to the debug bin dir)")
            return
        }
        let binary = URL(fileURLWithPath: binDir).appendingPathComponent("MqttAuthorizer").path
        #expect(FileManager.default.isExecutableFile(atPath: binary), "\(binary) is missing: build MqttAuthorizer")
        var document: Document = ["_id": "cp-7", "activeSessionId": nil]
        let update = DataAPIChargingPointRegistry.update(MqttAuthorizerTests.registration())
        for (key, value) in update["$set"]?.documentValue ?? [:] { document[key] = value }
        let stored = ExtendedJSON.serialize(.document(document), mode: .canonical)
        let (status, output, errors, requests) = try await StubHTTPServer.withServer({ request in
            request.path == "/data-api/action/findOne"
                ? .json(#"{"document":\#(stored)}"#)
                : .json(#"{"error":"unexpected","error_code":"ActionNotFound"}"#, status: 404)
        }) { server in
            let child = try ChildProcess.start(
                binary, arguments: ["--event", Fixture.path("iot/mqtt-authorizer.json")],
                environment: [
                    "DATA_API_URL": server.baseURL + "/data-api", "DATA_API_KEY": "binary-test-key",
                    "AWS_LAMBDA_RUNTIME_API": "", "LOG_LEVEL": "debug",
                ])
            let status = try await child.wait(timeout: .seconds(60))
            return (status, child.standardOutputText, child.standardErrorText, server.requests)
        }
        #expect(status == 0, "stderr: \(errors)")
        let printed = try #require(
            try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "stdout: \(output)")
        #expect(printed["isAuthenticated"] as? Bool == true, "stdout: \(output)")
        #expect((printed["policyDocuments"] as? [String])?.first?.contains("topic/chargers/cp-7/*") == true)
        #expect(!errors.contains(MqttAuthorizerTests.password) && !output.contains(MqttAuthorizerTests.password))
        #expect(requests.count == 1, "one Data API call per sign-in")
        #expect(requests.first?.bodyText.contains(#""collection":"ChargingPoints""#) == true)
    }
}
