import Foundation
import TestSupport
import Testing

/// A physically impossible meter value through the real runner: the MeterValues worker rejects it, counts it on
/// the session and writes an EMF line, which the runner (knowing nothing of meters) counts on `/metrics`.
@Suite("evcsm-local: rejected meter values reach /metrics through EMF", .serialized)
struct RejectedReadingsIntegrationTests {
    static let api = "/api/ChargingSessionAPI"

    @Test("1e12 Wh right after the start: not applied, rejectedReadings 1, evcsm_function_metric_total 1")
    func rejected() async throws {
        let runner = try await RunnerProcess()
        let reply = try await runner.request(
            "POST", "\(Self.api)/start",
            json: [
                "userId": "u-1", "vehicleId": "v-1", "chargingPointId": "cp-emf", "maxPower": 11, "targetCharge": 80,
            ])
        #expect(reply.status == 201, "start: \(reply.text)")
        let session = try #require(reply.json["sessionId"] as? String)
        let payload = #"{"sessionId":"\#(session)","energyWh":1e12,"seq":1}"#
        let output = try await runTool(
            "/usr/bin/mosquitto_pub",
            try runner.mqttArguments(user: "simulator") + ["-q", "1", "-t", "chargers/cp-emf/meter", "-m", payload],
            timeout: 30)
        #expect(output.isEmpty, "mosquitto_pub: \(output)")
        let series = #"evcsm_function_metric_total{function="MeterValues",namespace="evcsm",name="RejectedReadings"} 1"#
        try await eventually("the runner counts the EMF line") {
            try await runner.request("GET", "/metrics").text.contains(series)
        }
        let stored = try await runner.request("GET", "\(Self.api)/sessions/\(session)")
        #expect((stored.json["rejectedReadings"] as? NSNumber)?.intValue == 1, "\(stored.text)")
        #expect((stored.json["energyConsumed"] as? NSNumber)?.doubleValue == 0, "\(stored.text)")
        #expect(runner.log.contains("meter value rejected"))
        #expect(try await runner.terminate() == 0)
    }
}
