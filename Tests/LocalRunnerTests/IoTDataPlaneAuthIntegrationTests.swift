import Foundation
import FunctionRuntime
import Testing

@testable import LocalRunner

/// The runner's IoT Data Plane route with the real template: `curl -X POST /topics/charging%2Fupdates` without a
/// signature, or signed with another secret, is AWS IoT's 403 and reaches neither the broker nor a function; the
/// workers' pair from `<data-dir>/aws-credentials.json` (0600) signs a publish that is delivered.
@Suite(.serialized) struct IoTDataPlaneAuthIntegrationTests {
    static let start = #"{"chargingPointId":"cp-sigv4","userId":"mallory","vehicleId":"v-1","action":"start"}"#

    /// `curl` with `arguments`: the HTTP status and the body.
    static func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-o", "-", "-w", "\n%{http_code}"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let status = Int(text.split(separator: "\n").last ?? "") ?? 0
        return (status, String(text.split(separator: "\n").dropLast().joined(separator: "\n")))
    }

    /// The value of `series` in `/metrics` (0 when absent).
    static func metric(_ runner: RunnerProcess, _ series: String) async throws -> Double {
        let text = try await runner.request("GET", "/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test("an unsigned or wrongly signed publish is a 403 and starts no session; the workers' pair publishes")
    func topicsRequireSigV4() async throws {
        let runner = try await RunnerProcess()
        let path = "\(runner.dataDirectory)/aws-credentials.json"
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let pair = try JSONDecoder().decode(WorkerCredentials.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(pair.accessKeyId.hasPrefix("AKIA") && pair.accessKeyId.count == 20 && pair.secretAccessKey.count == 40)

        let url = "\(runner.baseURL)/topics/charging%2Fupdates?qos=1"
        let unsigned = try Self.curl(["-X", "POST", url, "-H", "Content-Type: application/json", "-d", Self.start])
        #expect(unsigned.status == 403)
        #expect(unsigned.body == #"{"message":"Missing Authentication Token"}"#)
        let forged = try Self.curl([
            "-X", "POST", url, "-d", Self.start, "--aws-sigv4", "aws:amz:us-east-1:iotdata",
            "--user", "\(pair.accessKeyId):\(String(repeating: "x", count: 40))",
        ])
        #expect(forged.status == 403)
        #expect(forged.body.contains("signature we calculated does not match"))
        let strangerKey = try Self.curl([
            "-X", "POST", url, "-d", Self.start, "--aws-sigv4", "aws:amz:us-east-1:iotdata",
            "--user", "AKIAIOSFODNN7EXAMPLE:\(pair.secretAccessKey)",
        ])
        #expect(strangerKey.status == 403)

        // Nothing reached the broker, so ChargingUpdates never ran.
        #expect(try await Self.metric(runner, #"evcsm_mqtt_messages_out_total{topic="charging/updates"}"#) == 0)
        #expect(try await Self.metric(runner, #"evcsm_invocations_total{function="ChargingUpdates"}"#) == 0)

        // Signed the way the functions sign (CurlHTTPClient, libcurl's CURLOPT_AWS_SIGV4), it is delivered.
        let signed = HTTPClientRequest(
            method: "POST", url: "\(runner.baseURL)/topics/evcsm/sigv4-check?qos=1",
            headers: [("Content-Type", "application/json")], body: Array("{}".utf8),
            awsSigV4: "aws:amz:us-east-1:iotdata", awsCredentials: (pair.accessKeyId, pair.secretAccessKey, nil))
        #expect(try CurlHTTPClient().send(signed).status == 200)
        #expect(try await Self.metric(runner, #"evcsm_mqtt_messages_out_total{topic="evcsm/sigv4-check"}"#) == 1)
        #expect(try await runner.terminate() == 0)
    }
}
