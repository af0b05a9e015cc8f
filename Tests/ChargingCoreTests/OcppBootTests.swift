import ChargingCore
import ChargingCoreTesting
import ChargingWire
import FunctionRuntime
import Logging
import Testing

@Suite("OCPP boot, heartbeat and notifications")
struct OcppBootTests {
    static let now = "2026-11-26T11:09:55.123Z"

    @Test("BootNotification is Accepted with the server time and interval; the boot information is stored")
    func bootNotification() async throws {
        let world = OcppDispatcherTests.connectedWorld()
        let request = try OcppWorld.event("message")
        let reply = try await world.send(try #require(request.body))
        #expect(reply?.messageId == "19223201")
        #expect(resultPayload(reply) == ["status": "Accepted", "currentTime": .string(Self.now), "interval": 240])
        let boot = try #require(world.chargers.state(OcppWorld.chargePointId)?.boot)
        #expect(boot.chargePointVendor == "VendorX")
        #expect(boot.chargePointModel == "SingleSocketCharger")
        #expect(boot.details == ["firmwareVersion": "1.4.2"])
        #expect(boot.at == Harness.start)
    }

    @Test("Heartbeat answers the current time and stores lastHeartbeat and lastSeen")
    func heartbeat() async throws {
        let world = OcppDispatcherTests.connectedWorld()
        world.harness.clock.advance(seconds: 5)
        let reply = try await world.send(#"[2,"h","Heartbeat",{}]"#)
        #expect(resultPayload(reply) == ["currentTime": "2026-11-26T11:10:00.123Z"])
        let state = try #require(world.chargers.state(OcppWorld.chargePointId))
        #expect(state.lastHeartbeat == Harness.start + 5_000)
        #expect(state.lastSeen == Harness.start + 5_000)
    }

    @Test("StatusNotification is stored per connector (0 = the point) and published on chargepoint/status")
    func statusNotification() async throws {
        let world = OcppDispatcherTests.connectedWorld()
        let frames = [
            #"[2,"s0","StatusNotification",{"connectorId":0,"errorCode":"NoError","status":"Available"}]"#,
            #"[2,"s1","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Preparing","#
                + #""timestamp":"2026-11-26T11:09:50Z","info":"plugged","vendorId":"VX","vendorErrorCode":"7"}]"#,
        ]
        for frame in frames { #expect(resultPayload(try await world.send(frame)) == [:]) }
        #expect(
            try await world.chargers.connectorStatuses(chargePointId: OcppWorld.chargePointId)
                == [0: "Available", 1: "Preparing"])
        let one = try #require(world.chargers.state(OcppWorld.chargePointId)?.connectors[1])
        #expect(
            one
                == ConnectorStatusRecord(
                    connectorId: 1, status: "Preparing", errorCode: "NoError", info: "plugged", vendorId: "VX",
                    vendorErrorCode: "7", timestamp: Harness.start - 5_123, receivedAt: Harness.start))
        let published = try world.statusMessages
        #expect(published.count == 2)
        #expect(
            published.last
                == ChargerStatusMessage(
                    chargePointId: OcppWorld.chargePointId, connected: true, connectorId: 1, status: "Preparing",
                    errorCode: "NoError", info: "plugged", timestamp: Harness.start - 5_123))
        #expect(published.first?.timestamp == Self.now)
    }

    @Test("a late queued StatusNotification older than the stored one is answered but not stored or published")
    func lateStatusIgnored() async throws {
        let world = OcppDispatcherTests.connectedWorld()
        let status = { (id: String, status: String, time: String) in
            #"[2,"\#(id)","StatusNotification",{"connectorId":2,"errorCode":"NoError","status":"\#(status)","timestamp":"\#(time)"}]"#
        }
        _ = try await world.send(status("a", "Charging", "2026-11-26T11:09:00Z"))
        #expect(resultPayload(try await world.send(status("b", "Preparing", "2026-11-26T11:08:00Z"))) == [:])
        #expect(world.chargers.state(OcppWorld.chargePointId)?.connectors[2]?.status == "Charging")
        #expect(try world.statusMessages.count == 1)
        _ = try await world.send(status("c", "Finishing", "2026-11-26T11:09:30Z"))
        #expect(world.chargers.state(OcppWorld.chargePointId)?.connectors[2]?.status == "Finishing")
    }

    @Test("DataTransfer is UnknownVendorId; Diagnostics and Firmware status notifications are stored")
    func otherNotifications() async throws {
        let world = OcppDispatcherTests.connectedWorld()
        #expect(
            resultPayload(try await world.send(#"[2,"d","DataTransfer",{"vendorId":"com.example"}]"#))
                == ["status": "UnknownVendorId"])
        #expect(
            resultPayload(try await world.send(#"[2,"g","DiagnosticsStatusNotification",{"status":"Uploaded"}]"#))
                == [:])
        #expect(
            resultPayload(try await world.send(#"[2,"f","FirmwareStatusNotification",{"status":"Installed"}]"#))
                == [:])
        let state = try #require(world.chargers.state(OcppWorld.chargePointId))
        #expect(state.diagnosticsStatus == ReportedStatus(status: "Uploaded", at: Harness.start))
        #expect(state.firmwareStatus == ReportedStatus(status: "Installed", at: Harness.start))
    }

    @Test("OcppSettings reads OCPP_* and names a bad variable")
    func settings() throws {
        let settings = try OcppSettings.fromEnvironment(
            FunctionEnvironment(["OCPP_HEARTBEAT_INTERVAL": "60", "OCPP_DEFAULT_MAX_POWER": "11"]))
        #expect(settings.heartbeatInterval == 60)
        #expect(settings.defaultMaxPower == 11)
        #expect(try OcppSettings.fromEnvironment(FunctionEnvironment([:])) == OcppSettings())
        for (name, value) in [
            ("OCPP_HEARTBEAT_INTERVAL", "541"), ("OCPP_HEARTBEAT_INTERVAL", "0"), ("OCPP_CALL_TIMEOUT_SECONDS", "x"),
            ("OCPP_DEFAULT_MAX_POWER", "-1"),
        ] {
            #expect {
                try OcppSettings.fromEnvironment(FunctionEnvironment([name: value]))
            } throws: { error in "\(error)".contains(name) }
        }
    }

    @Test("OcppDependencies.live composes from the environment and names a missing variable")
    func liveComposition() throws {
        var env = [
            "DATA_API_URL": "http://127.0.0.1:9", "DATA_API_KEY": "k", "IOT_DATA_ENDPOINT": "http://127.0.0.1:9",
            "OCPP_HEARTBEAT_INTERVAL": "120",
        ]
        #expect {
            try OcppDependencies.live(FunctionEnvironment(env), logger: Logger(label: "test"))
        } throws: { error in "\(error)".contains("OCPP_CONNECTIONS_ENDPOINT") }
        env["OCPP_CONNECTIONS_ENDPOINT"] = "http://127.0.0.1:9"
        let deps = try OcppDependencies.live(FunctionEnvironment(env), logger: Logger(label: "test"))
        #expect(deps.settings.heartbeatInterval == 120)
        #expect(deps.chargers is DataAPIChargerStateStore)
        #expect(OcppDispatcher.live(deps).actions.count == 10)
    }
}
