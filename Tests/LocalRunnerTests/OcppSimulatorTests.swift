import ChargingWire
import Foundation
import Logging
import Testing

@testable import ChargerSimulator

/// The OCPP 1.6J charge point simulator against ``FakeCSMS``.
@Suite(.timeLimit(.minutes(2)))
struct OcppSimulatorTests {
    static func chargePoint(
        port: Int, id: String = "sim-1", connectors: Int = 1, speed: Double = 50
    ) throws -> OcppChargePoint {
        var configuration = try OcppChargePointConfiguration(
            url: "ws://127.0.0.1:\(port)/ocpp/\(id)", password: "s3cret", connectors: connectors, maxPowerKW: 22,
            speed: speed)
        configuration.reconnectDelay = .milliseconds(100)
        configuration.callTimeout = .seconds(60)
        return OcppChargePoint(configuration: configuration, logger: Logger(label: "test.ocpp"))
    }

    /// Runs a started charge point against a fresh CSMS and stops it afterwards.
    static func withChargePoint(
        connectors: Int = 1, prepare: @Sendable (FakeCSMS) async -> Void = { _ in },
        _ body: @Sendable (FakeCSMS, OcppChargePoint) async throws -> Void
    ) async throws {
        try await FakeCSMS.withServer { csms, port in
            await prepare(csms)
            let chargePoint = try chargePoint(port: port, connectors: connectors)
            await chargePoint.start()
            do {
                try await body(csms, chargePoint)
            } catch {
                await chargePoint.stop()
                throw error
            }
            await chargePoint.stop()
            await csms.checkOneOutstandingCall()
        }
    }

    static func result(_ frame: OcppFrame) throws -> OcppJSON {
        guard case .callResult(_, let payload) = frame else { throw HarnessError("not a CALLRESULT: \(frame)") }
        return payload
    }

    @Test func handshakeBootStatusAndHeartbeats() async throws {
        try await Self.withChargePoint(connectors: 2) { csms, _ in
            let boot = try await csms.waitForCalls("BootNotification")
            #expect(boot.first?["chargePointVendor"] == "evcsm")
            #expect(boot.first?["chargePointModel"] == "sim")
            let statuses = try await csms.waitForCalls("StatusNotification", count: 2)
            #expect(statuses.map { $0["connectorId"] } == [1, 2])
            #expect(statuses.allSatisfy { $0["status"] == "Available" && $0["errorCode"] == "NoError" })
            _ = try await csms.waitForCalls("Heartbeat", count: 2)
            #expect(await csms.calls.first?.action == "BootNotification")

            let handshake = try #require(await csms.handshakes.first)
            #expect(handshake.path == "/ocpp/sim-1")
            #expect(handshake.headers[.authorization] == "Basic " + Data("sim-1:s3cret".utf8).base64EncodedString())
            #expect(handshake.headers[.secWebSocketProtocol] == "ocpp1.6")
        }
    }

    @Test func remoteStartMeterValuesRemoteStop() async throws {
        try await Self.withChargePoint { csms, chargePoint in
            _ = try await csms.waitForCalls("StatusNotification")
            let start = try await csms.call("RemoteStartTransaction", ["connectorId": 1, "idTag": "TAG-1"])
            #expect(try Self.result(start)["status"] == "Accepted")
            let busy = try await csms.call("RemoteStartTransaction", ["connectorId": 1, "idTag": "TAG-2"])
            #expect(try Self.result(busy)["status"] == "Rejected")

            let started = try await csms.waitForCalls("StartTransaction")
            #expect(started.first?["idTag"] == "TAG-1")
            #expect(started.first?["connectorId"] == 1)
            #expect(started.first?["meterStart"] == 0)
            _ = try await csms.waitForCalls("StatusNotification") { $0["status"] == "Charging" }
            let meters = try await csms.waitForCalls("MeterValues", count: 3) { $0["transactionId"] == 4_201 }
            let samples = meters.compactMap { $0["meterValue"]?.arrayValue?.first?["sampledValue"]?.arrayValue?.first }
            #expect(samples.count == 3)
            #expect(samples.allSatisfy { $0["unit"] == "Wh" && $0["context"] == "Sample.Periodic" })
            #expect(samples.allSatisfy { $0["measurand"] == "Energy.Active.Import.Register" })
            let values = samples.compactMap { $0["value"]?.stringValue.flatMap(Int64.init) }
            #expect(values == values.sorted() && values.count == 3 && values.last! > 0)
            #expect(await chargePoint.transactionId(connectorId: 1) == 4_201)

            let wrong = try await csms.call("RemoteStopTransaction", ["transactionId": 99])
            #expect(try Self.result(wrong)["status"] == "Rejected")
            let stop = try await csms.call("RemoteStopTransaction", ["transactionId": 4_201])
            #expect(try Self.result(stop)["status"] == "Accepted")
            let stopped = try #require(try await csms.waitForCalls("StopTransaction").first)
            #expect(stopped["reason"] == "Remote")
            #expect(stopped["idTag"] == "TAG-1")
            #expect(try #require(stopped["meterStop"]?.int64Value) >= values.last!)
            _ = try await csms.waitForCalls("StatusNotification", count: 2) { $0["status"] == "Available" }
            #expect(await chargePoint.status(connectorId: 1) == "Available")
        }
    }

    @Test func oneOutstandingCallAtATime() async throws {
        try await Self.withChargePoint(connectors: 2, prepare: { await $0.hold("StatusNotification") }) { csms, _ in
            _ = try await csms.waitForCalls("StatusNotification")
            // While that StatusNotification waits, the CSMS's own CALLs are still answered...
            let start = try await csms.call("RemoteStartTransaction", ["connectorId": 2, "idTag": "TAG-9"])
            #expect(try Self.result(start)["status"] == "Accepted")
            let trigger = try await csms.call("TriggerMessage", ["requestedMessage": "Heartbeat"])
            #expect(try Self.result(trigger)["status"] == "Accepted")
            // ...but the charger sends no further CALL of its own.
            #expect(await csms.calls.count == 2)
            await csms.release("StatusNotification")
            _ = try await csms.waitForCalls("StartTransaction")
            _ = try await csms.waitForCalls("StatusNotification") { $0["status"] == "Charging" }
            #expect(await csms.calls.contains { $0.action == "Heartbeat" })
        }
    }

    @Test func answersConfigurationUnlockAndErrors() async throws {
        try await Self.withChargePoint { csms, _ in
            _ = try await csms.waitForCalls("StatusNotification")
            let config = try Self.result(
                try await csms.call("GetConfiguration", ["key": ["HeartbeatInterval", "NoSuchKey"]]))
            #expect(config["configurationKey"] == [["key": "HeartbeatInterval", "readonly": false, "value": "1"]])
            #expect(config["unknownKey"] == ["NoSuchKey"])
            let change = try await csms.call("ChangeConfiguration", ["key": "Custom", "value": "on"])
            #expect(try Self.result(change)["status"] == "Accepted")
            let kept = try Self.result(try await csms.call("GetConfiguration", ["key": ["Custom"]]))
            #expect(kept["configurationKey"] == [["key": "Custom", "readonly": false, "value": "on"]])
            let readOnly = try await csms.call("ChangeConfiguration", ["key": "NumberOfConnectors", "value": "5"])
            #expect(try Self.result(readOnly)["status"] == "Rejected")
            let unlock = try await csms.call("UnlockConnector", ["connectorId": 1])
            #expect(try Self.result(unlock)["status"] == "Unlocked")
            let trigger = try await csms.call(
                "TriggerMessage", ["requestedMessage": "StatusNotification", "connectorId": 1])
            #expect(try Self.result(trigger)["status"] == "Accepted")
            _ = try await csms.waitForCalls("StatusNotification", count: 2)

            for (action, payload, code) in [
                ("NoSuchAction", OcppJSON.object([:]), "NotImplemented"), ("ClearCache", [:], "NotSupported"),
                ("RemoteStartTransaction", [:], "OccurenceConstraintViolation"),
                ("RemoteStopTransaction", ["transactionId": "7"], "TypeConstraintViolation"),
            ] {
                let answer = try await csms.call(action, payload)
                guard case .callError(_, let received, _, _) = answer else {
                    Issue.record("\(action): expected CALLERROR \(code), got \(answer)")
                    continue
                }
                #expect(received == code, "\(action)")
            }
        }
    }

    @Test func reconnectsWithoutBootAndRebootsAfterHardReset() async throws {
        try await Self.withChargePoint { csms, _ in
            _ = try await csms.waitForCalls("StatusNotification")
            try await csms.closeConnection()
            try await eventually("a second connection") { await csms.handshakes.count == 2 }
            try await eventually("a Heartbeat on it") { await csms.calls.contains { $0.connection == 2 } }
            #expect(await !csms.calls.contains { $0.connection == 2 && $0.action == "BootNotification" })

            let start = try await csms.call("RemoteStartTransaction", ["idTag": "TAG-R"])
            #expect(try Self.result(start)["status"] == "Accepted")
            _ = try await csms.waitForCalls("StatusNotification") { $0["status"] == "Charging" }
            let reset = try await csms.call("Reset", ["type": "Hard"])
            #expect(try Self.result(reset)["status"] == "Accepted")
            let stopped = try await csms.waitForCalls("StopTransaction")
            #expect(stopped.first?["reason"] == "HardReset")
            try await eventually("a third connection") { await csms.handshakes.count == 3 }
            try await eventually("a BootNotification on it") {
                await csms.calls.contains { $0.connection == 3 && $0.action == "BootNotification" }
            }
        }
    }

    @Test func configurationReadsTheIdentityAndRejectsBadInput() throws {
        let path = try OcppChargePointConfiguration(url: "ws://127.0.0.1:1/ocpp/cp%2D7", password: "p")
        #expect(path.chargePointId == "cp-7")
        #expect(path.authorizationHeader == "Basic " + Data("cp-7:p".utf8).base64EncodedString())
        let query = try OcppChargePointConfiguration(url: "ws://h:1/ocpp?chargePointId=q-1", password: nil)
        #expect(query.chargePointId == "q-1")
        #expect(query.authorizationHeader == nil)
        #expect(
            try OcppChargePointConfiguration(url: "ws://h/ocpp/x", password: nil, speed: 1000).meterInterval
                == .milliseconds(200))
        for bad in ["http://h:1/ocpp/a", "ws://h:1/ocpp", "ws://h:1/", "not a url"] {
            #expect(throws: OcppSimulatorError.self, "\(bad)") {
                try OcppChargePointConfiguration(url: bad, password: nil)
            }
        }
        #expect(throws: OcppSimulatorError.self) {
            try OcppChargePointConfiguration(url: "ws://h:1/ocpp/a", password: nil, connectors: 0)
        }
    }
}
