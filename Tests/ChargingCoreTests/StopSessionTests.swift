import ChargingCore
import Foundation
import FunctionRuntime
import Testing

@Suite("StopSession")
struct StopSessionTests {
    @Test("the seed example: a 15.5 kWh session costs 12.75 at the default tariff")
    func stopsWithSeedCost() async throws {
        let harness = Harness([Harness.session(energyWh: 15_500)])
        let response = try await harness.respond(StopSessionHandler(harness.dependencies), Fixture.request("stop"))
        #expect(response.statusCode == 200)
        let body = try json(response)
        #expect(body["sessionId"] as? String == Harness.fixtureSessionID)
        #expect(body["status"] as? String == "STOPPED")
        #expect(body["energyConsumed"] as? Double == 15.5)
        #expect(body["cost"] as? Double == 12.75)
        #expect(body["currency"] as? String == "EUR")
        #expect(body["durationMinutes"] as? Int == 30)
        #expect(body["startTime"] as? String == "2026-11-26T10:39:55.123Z")
        #expect(body["endTime"] as? String == "2026-11-26T11:09:55.123Z")
        #expect(body["stopReason"] as? String == "Requested")
        #expect(response.body.contains(#""cost":12.75"#))
        #expect(response.body.contains(#""energyConsumed":15.5"#))

        let stored = try #require(await harness.store.session(id: Harness.fixtureSessionID))
        #expect(stored.status == .stopped)
        #expect(stored.costCents == 1275)
        let updates = try harness.updates
        #expect(updates.count == 1)
        #expect(updates.first?.status == "Stopped")
        #expect(updates.first?.cost == 12.75)
        #expect(updates.first?.energyConsumed == 15.5)
        #expect(updates.first?.durationMinutes == 30)
    }

    @Test("stopping twice is idempotent: 200 with the same stored result and an 'already stopped' message")
    func idempotent() async throws {
        let harness = Harness([Harness.session(energyWh: 15_500)])
        let handler = StopSessionHandler(harness.dependencies)
        let first = try json(try await harness.respond(handler, Fixture.request("stop")))
        harness.clock.advance(minutes: 45)
        let secondResponse = try await harness.respond(handler, Fixture.request("stop"))
        #expect(secondResponse.statusCode == 200)
        let second = try json(secondResponse)
        for key in ["sessionId", "status", "startTime", "endTime", "cost", "energyConsumed", "durationMinutes"] {
            #expect("\(first[key] ?? "nil")" == "\(second[key] ?? "nil")", "\(key)")
        }
        #expect((second["message"] as? String)?.lowercased().contains("already stopped") == true)
        #expect((first["message"] as? String)?.lowercased().contains("already") == false)
        #expect(harness.publisher.messages.count == 1)
        #expect(await harness.store.writeCount == 1)
    }

    @Test("an unknown session is 404")
    func unknownSession() async throws {
        let harness = Harness()
        let response = try await harness.respond(StopSessionHandler(harness.dependencies), Fixture.request("stop"))
        #expect(response.statusCode == 404)
        #expect(try json(response)["error"] as? String == "NotFound")
        #expect(harness.publisher.messages.isEmpty)
    }

    @Test(
        "a missing or malformed sessionId is a 400 naming sessionId",
        arguments: [
            #"{}"#, #"{"sessionId":""}"#, #"{"sessionId":17}"#, #"{"sessionId":"a b"}"#, #"{"sessionId":null}"#,
        ])
    func invalidSessionID(body: String) async throws {
        let harness = Harness([Harness.session()])
        let response = try await harness.respond(
            StopSessionHandler(harness.dependencies), Fixture.request("stop", body: body))
        #expect(response.statusCode == 400)
        #expect(try errorMessage(response).hasPrefix("sessionId "))
        #expect(await harness.store.writeCount == 0)
    }

    @Test("a malformed body is a 400", arguments: ["", "nope", "[]"])
    func malformedBody(body: String) async throws {
        let harness = Harness([Harness.session()])
        let response = try await harness.respond(
            StopSessionHandler(harness.dependencies), Fixture.request("stop", body: body))
        #expect(response.statusCode == 400)
        #expect(await harness.store.writeCount == 0)
    }

    @Test("start, then stop: the point is free again and the tariff comes from the environment")
    func startStopWithConfiguredTariff() async throws {
        var harness = Harness()
        harness.tariff = try Tariff.fromEnvironment(
            FunctionEnvironment([
                "TARIFF_PER_KWH": "0.40", "TARIFF_SESSION_FEE": "1", "TARIFF_PER_MINUTE": "0.05",
                "TARIFF_CURRENCY": "CHF",
            ]))
        let started = try json(
            try await harness.respond(StartSessionHandler(harness.dependencies), Fixture.request("start")))
        let sessionId = try #require(started["sessionId"] as? String)
        _ = await harness.store.applyMeterValue(
            sessionId: sessionId, chargingPointId: "cp-1", energyWh: 10_000, seq: 1, receivedAt: Harness.start)
        harness.clock.advance(minutes: 20)
        let stop = try await harness.respond(
            StopSessionHandler(harness.dependencies), Fixture.request("stop", body: #"{"sessionId":"\#(sessionId)"}"#))
        let body = try json(stop)
        // 10 kWh × 0.40 + 1.00 + 20 min × 0.05 = 6.00
        #expect(body["cost"] as? Double == 6)
        #expect(body["currency"] as? String == "CHF")
        #expect(
            try await harness.respond(StartSessionHandler(harness.dependencies), Fixture.request("start")).statusCode
                == 201)
    }
}

@Suite("Tariff, estimates and configuration")
struct DomainTests {
    @Test func seedNumbers() {
        #expect(Tariff().costCents(energyWh: 15_500, minutes: 95) == 1275)
        let estimate = ChargingEstimate(
            StartRequest(userId: "u", vehicleId: "v", chargingPointId: "cp-1", maxPower: 11, targetCharge: 80),
            defaults: ChargingDefaults())
        #expect(estimate.durationMinutes == 120)
        #expect(estimate.targetEnergyWh == 22_000)
    }

    @Test("half-cent costs round half away from zero despite binary floating point")
    func halfCentRounding() {
        // 4.31 kWh × 0.50 + 5.00 = 7.155 → 7.16 (the plain Double product is 715.4999… cents)
        #expect(Tariff().costCents(energyWh: 4_310, minutes: 0) == 716)
        #expect(Tariff().costCents(energyWh: 30, minutes: 0) == 502)
        #expect(Tariff().costCents(energyWh: 15_510, minutes: 0) == 1276)
        let tariff = Tariff(perKWh: 0.35, sessionFee: 1.2, perMinute: 0.05)
        // 0.35 × 1.1 + 1.2 + 0.05 × 3 = 1.735 → 1.74
        #expect(tariff.costCents(energyWh: 1_100, minutes: 3) == 174)
    }

    @Test("a valid but tiny maxPower saturates the estimate instead of trapping")
    func tinyMaxPower() async throws {
        let estimate = ChargingEstimate(
            StartRequest(userId: "u", vehicleId: "v", chargingPointId: "cp-1", maxPower: 1e-300, targetCharge: 80),
            defaults: ChargingDefaults())
        #expect(estimate.durationMinutes == Int64.max)
        let harness = Harness()
        let body = #"{"userId":"u1","vehicleId":"v1","chargingPointId":"cp-1","maxPower":1e-300,"targetCharge":80}"#
        let response = try await harness.respond(
            StartSessionHandler(harness.dependencies), Fixture.request("start", body: body))
        #expect(response.statusCode == 201)
    }

    @Test func wireNumbers() {
        #expect(WireNumber.kWhText(energyWh: 15_500) == "15.500")
        #expect(WireNumber.kWhText(energyWh: 7) == "0.007")
        #expect(WireNumber.moneyText(cents: 1275) == "12.75")
        #expect(WireNumber.moneyText(cents: 5) == "0.05")
    }

    @Test("a bad tariff or default variable is an init error naming it")
    func badEnvironment() {
        #expect(throws: FunctionRuntimeError.self) {
            try Tariff.fromEnvironment(FunctionEnvironment(["TARIFF_PER_KWH": "x"]))
        }
        do {
            _ = try Tariff.fromEnvironment(FunctionEnvironment(["TARIFF_SESSION_FEE": "-1"]))
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("TARIFF_SESSION_FEE"))
        }
        do {
            _ = try ChargingDefaults.fromEnvironment(FunctionEnvironment(["DEFAULT_MAX_POWER": "500"]))
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("DEFAULT_MAX_POWER"))
        }
        do {
            _ = try FunctionDependencies.live(FunctionEnvironment([:]), logger: .init(label: "t"), publishes: false)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("DATA_API_URL"))
        }
        do {
            _ = try FunctionDependencies.live(
                FunctionEnvironment(["DATA_API_URL": "http://127.0.0.1:1/data-api", "DATA_API_KEY": "k"]),
                logger: .init(label: "t"), publishes: true)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("IOT_DATA_ENDPOINT"))
        }
    }

    @Test func defaultsFromEnvironment() throws {
        let defaults = try ChargingDefaults.fromEnvironment(
            FunctionEnvironment([
                "DEFAULT_CHARGING_POINT": "cp-9", "DEFAULT_MAX_POWER": "22", "DEFAULT_TARGET_CHARGE": "90",
                "DEFAULT_BATTERY_CAPACITY": "60", "DEFAULT_CURRENT_CHARGE": "30",
            ]))
        #expect(
            defaults
                == ChargingDefaults(
                    chargingPointId: "cp-9", maxPower: 22, targetCharge: 90, batteryCapacity: 60, currentCharge: 30))
    }
}
