import ChargingCore
import Foundation
import TestSupport
import Testing

@Suite("Function binaries")
struct FunctionBinaryTests {
    /// Runs the GetStatus binary on `fixture` (under the default `AUTH_MODE`, jwt) against a stub Data API that
    /// holds one session; nil when the binary directory is not set.
    static func runGetStatus(
        _ fixture: String
    ) async throws -> (status: Int32, printed: [String: Any], errors: String, requests: [RecordedRequest])? {
        guard let binDir = ProcessInfo.processInfo.environment["EVCSM_BIN_DIR"], !binDir.isEmpty else {
            Issue.record("EVCSM_BIN_DIR is not set: run `make swift-test` (or set it to the debug bin dir)")
            return nil
        }
        let binary = URL(fileURLWithPath: binDir).appendingPathComponent("GetStatus").path
        #expect(FileManager.default.isExecutableFile(atPath: binary), "\(binary) is missing: build GetStatus first")
        let session = #"""
            {"_id":"s-1","sessionId":"s-1","chargingPointId":"cp-1","userId":"user-42","vehicleId":"vehicle-7",
             "status":"Charging","startTime":{"$date":{"$numberLong":"1795689595123"}},"endTime":null,
             "energyWh":{"$numberLong":"15500"},"maxPower":{"$numberDouble":"11.0"},
             "targetCharge":{"$numberDouble":"80.0"},"targetEnergyWh":{"$numberLong":"22000"},
             "lastMeterSeq":{"$numberLong":"7"},"currency":"EUR"}
            """#
        let (status, output, errors, requests) = try await StubHTTPServer.withServer({ request in
            request.path == "/data-api/action/find"
                ? .json(#"{"documents":[\#(session)]}"#)
                : .json(#"{"error":"unexpected","error_code":"ActionNotFound"}"#, status: 404)
        }) { server in
            let child = try ChildProcess.start(
                binary, arguments: ["--event", Fixture.path(fixture)],
                environment: [
                    "DATA_API_URL": server.baseURL + "/data-api", "DATA_API_KEY": "binary-test-key",
                    "AWS_LAMBDA_RUNTIME_API": "", "LOG_LEVEL": "debug",
                ])
            let status = try await child.wait(timeout: .seconds(60))
            return (status, child.standardOutputText, child.standardErrorText, server.requests)
        }
        let printed = try #require(
            try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "stdout: \(output)")
        return (status, printed, errors, requests)
    }

    @Test("GetStatus --event <fixture with an operator's claims> answers from the Data API and prints the response")
    func getStatusBinary() async throws {
        guard let (status, printed, errors, requests) = try await Self.runGetStatus("http/auth/status-operator.json")
        else { return }
        #expect(status == 0, "stderr: \(errors)")
        // A 200 JSON object answer is the output itself (format 2.0 infers the 200 and the content type).
        #expect(printed["statusCode"] == nil)
        let body = printed
        #expect(body["sessionId"] as? String == "s-1")
        #expect(body["status"] as? String == "ACTIVE")
        #expect(body["energyConsumed"] as? Double == 15.5)
        #expect(requests.count == 1, "GetStatus answers with one Data API call")
        let find = try #require(requests.first)
        #expect(find.header("apiKey") == "binary-test-key")
        #expect(find.bodyText.contains(#""collection":"ChargingSessions""#))
        #expect(find.bodyText.contains(#""sort":{"status":{"$numberInt":"1"}"#), "body: \(find.bodyText)")
    }

    @Test("GetStatus --event <fixture without claims> is a 401 envelope under the default AUTH_MODE, no Data API call")
    func getStatusBinaryWithoutClaims() async throws {
        guard let (status, printed, errors, requests) = try await Self.runGetStatus("http/status.json") else { return }
        #expect(status == 0, "stderr: \(errors)")
        #expect(printed["statusCode"] as? Int == 401)
        let body = try #require(
            try JSONSerialization.jsonObject(with: Data((printed["body"] as? String ?? "").utf8)) as? [String: Any])
        #expect(body["error"] as? String == "Unauthorized")
        #expect(body["timestamp"] is String)
        #expect(requests.isEmpty)
    }
}
