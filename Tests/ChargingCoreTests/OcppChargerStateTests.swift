import BSON
import ChargingCore
import DataAPI
import Foundation
import FunctionRuntime
import Logging
import TestSupport
import Testing

/// ``DataAPIChargerStateStore`` against a real evcsm-data-api (SQLite, ephemeral port): the filters it relies on
/// (dotted paths, `$or` with `$exists`, `$ne: null`) behave as the store needs, and it never touches the
/// registration or session lock fields.
@Suite("OCPP charger state store")
struct OcppChargerStateTests {
    /// Runs `body` with a registry and a charger state store on a fresh evcsm-data-api.
    static func withDataAPI(
        _ body: (DataAPIChargingPointRegistry, DataAPIChargerStateStore, DataAPIClient) async throws -> Void
    ) async throws {
        guard let binDir = ProcessInfo.processInfo.environment["EVCSM_BIN_DIR"], !binDir.isEmpty else {
            Issue.record("EVCSM_BIN_DIR is not set: run `make swift-test` (or set it to the debug bin dir)")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ocpp-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = try ChildProcess.start(
            binDir + "/evcsm-data-api",
            arguments: ["--port", "0", "--sqlite", directory.path + "/db.sqlite", "--api-key", "state-test-key"],
            environment: ["DATA_API_KEYS": ""])
        defer { child.kill() }
        try await child.waitForOutput(containing: "listening on http://", timeout: .seconds(60))
        let line = child.standardOutputText.split(separator: "\n").first { $0.contains("listening on http://") } ?? ""
        let base = String(line[line.range(of: "http://")!.lowerBound...]).trimmingCharacters(in: .whitespaces)
        let logger = Logger(label: "test")
        let client = DataAPIClient(
            configuration: DataAPIConfiguration(baseURL: base, apiKey: "state-test-key"), transport: CurlHTTPClient(),
            logger: logger)
        try await body(
            DataAPIChargingPointRegistry(client: client, logger: logger),
            DataAPIChargerStateStore(client: client, logger: logger), client)
    }

    static func status(_ connectorId: Int, _ status: String, timestamp: Int64?, at: Int64) -> ConnectorStatusRecord {
        ConnectorStatusRecord(
            connectorId: connectorId, status: status, errorCode: "NoError", timestamp: timestamp, receivedAt: at)
    }

    @Test("connect, boot, heartbeat, statuses (late ones ignored) and disconnect round-trip through the Data API")
    func roundTrip() async throws {
        try await Self.withDataAPI { registry, store, client in
            #expect(try await registry.register(OcppWorld.registration()))
            let id = OcppWorld.chargePointId
            let first = ChargerConnection(
                connectionId: "conn-1", chargePointId: id, connectedAt: Harness.start, sourceIp: "192.0.2.1")
            try await store.connect(first)
            #expect(try await store.connected(connectionId: "conn-1") == first)
            #expect(try await store.connection(chargePointId: id) == "conn-1")
            let boot = ChargerBoot(
                chargePointVendor: "V", chargePointModel: "M", details: ["iccid": "8931"], at: Harness.start + 1)
            try await store.recordBoot(chargePointId: id, boot: boot)
            try await store.recordHeartbeat(chargePointId: id, at: Harness.start + 2)
            #expect(
                try await store.recordStatus(
                    chargePointId: id, status: Self.status(1, "Charging", timestamp: 100, at: 5)))
            #expect(
                !(try await store.recordStatus(
                    chargePointId: id, status: Self.status(1, "Preparing", timestamp: 99, at: 6))))
            #expect(
                try await store.recordStatus(
                    chargePointId: id, status: Self.status(1, "Finishing", timestamp: 101, at: 7)))
            #expect(
                try await store.recordStatus(
                    chargePointId: id, status: Self.status(0, "Available", timestamp: nil, at: 8)))
            #expect(
                try await store.recordStatus(
                    chargePointId: id, status: Self.status(0, "Faulted", timestamp: nil, at: 9)))
            try await store.recordNotification(chargePointId: id, kind: .firmware, status: "Installed", at: 10)
            #expect(try await store.connectorStatuses(chargePointId: id) == [0: "Faulted", 1: "Finishing"])

            let second = ChargerConnection(connectionId: "conn-2", chargePointId: id, connectedAt: Harness.start + 20)
            try await store.connect(second)
            let replaced = try #require(try await store.disconnect(connectionId: "conn-1"))
            #expect(replaced.connection == first && !replaced.wasCurrent)
            #expect(try await store.connection(chargePointId: id) == "conn-2")
            #expect(try await store.disconnect(connectionId: "conn-1") == nil)

            let listed = try await store.registeredChargers(limit: 10)
            #expect(listed.map(\.registration.chargePointId) == [id])
            let state = try #require(listed.first?.state)
            #expect(state.connection == second)
            #expect(state.boot == boot)
            #expect(state.lastHeartbeat == Harness.start + 2)
            #expect(state.connectors[1] == Self.status(1, "Finishing", timestamp: 101, at: 7))
            #expect(state.firmwareStatus == ReportedStatus(status: "Installed", at: 10))
            #expect(listed.first?.registration.connectors.map(\.maxPower) == [22, 11])

            let current = try #require(try await store.disconnect(connectionId: "conn-2"))
            #expect(current.wasCurrent)
            #expect(try await store.connection(chargePointId: id) == nil)
            let document = try #require(try client.findOne("ChargingPoints", filter: ["_id": .string(id)]))
            #expect(document["activeSessionId"] == .null, "the lock field is left as registration made it")
            #expect(document["credentials"]?.documentValue != nil)
            #expect(try client.find("OcppConnections", filter: [:], limit: 10).isEmpty)
        }
    }

    @Test("live state is never written into a point that is not registered (no upsert)")
    func noUpsert() async throws {
        try await Self.withDataAPI { _, store, client in
            try await store.recordHeartbeat(chargePointId: "ghost", at: 1)
            #expect(
                !(try await store.recordStatus(
                    chargePointId: "ghost", status: Self.status(1, "Available", timestamp: 1, at: 1))))
            #expect(try client.find("ChargingPoints", filter: [:], limit: 10).isEmpty)
            #expect(try await store.registeredChargers(limit: 10).isEmpty)
        }
    }
}
