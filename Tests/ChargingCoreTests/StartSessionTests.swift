import ChargingCore
import ChargingCoreTesting
import Essentials
import Foundation
import FunctionRuntime
import Testing

@Suite("StartSession")
struct StartSessionTests {
    @Test("the seed example: maxPower 11, targetCharge 80 → 201 with estimatedDuration 120")
    func startsWithSeedEstimate() async throws {
        let harness = Harness()
        let response = try await harness.respond(StartSessionHandler(harness.dependencies), Fixture.request("start"))
        #expect(response.statusCode == 201)
        #expect(response.headers["content-type"] == "application/json")
        let body = try json(response)
        #expect(body["status"] as? String == "STARTED")
        #expect(body["estimatedDuration"] as? Int == 120)
        #expect(body["startTime"] as? String == "2026-11-26T11:09:55.123Z")
        #expect(body["chargingPointId"] as? String == "cp-1")
        #expect((body["message"] as? String)?.isEmpty == false)
        let sessionId = try #require(body["sessionId"] as? String)

        let stored = try #require(await harness.store.session(id: sessionId))
        #expect(stored.status == .charging)
        #expect(stored.userId == "user-42")
        #expect(stored.vehicleId == "vehicle-7")
        #expect(stored.targetEnergyWh == 22_000)
        #expect(stored.lastMeterSeq == -1)
        let updates = try harness.updates
        #expect(updates.count == 1)
        #expect(updates.first?.status == "Charging")
        #expect(updates.first?.sessionId == sessionId)
    }

    @Test("a base64-encoded body (isBase64Encoded) is accepted")
    func base64Body() async throws {
        let harness = Harness()
        let response = try await harness.respond(
            StartSessionHandler(harness.dependencies), Fixture.request("start-base64"))
        #expect(response.statusCode == 201)
    }

    @Test("battery capacity and current charge change the estimate; unknown fields are ignored")
    func optionalFields() async throws {
        let harness = Harness()
        let body = #"""
            {"userId":"u1","vehicleId":"v1","chargingPointId":"cp-1","maxPower":50,"targetCharge":80,
             "batteryCapacity":75,"currentCharge":20,"colour":"red","nested":{"a":[1,2]}}
            """#
        let response = try await harness.respond(
            StartSessionHandler(harness.dependencies), Fixture.request("start", body: body))
        #expect(response.statusCode == 201)
        // (80 − 20) % × 75 kWh = 45 kWh at 50 kW = 54 minutes
        #expect(try json(response)["estimatedDuration"] as? Int == 54)
        #expect(try json(response)["targetEnergy"] as? Double == 45)
    }

    @Test("a second start on a busy charging point is 409; other points are unaffected")
    func busyChargingPoint() async throws {
        let harness = Harness()
        let handler = StartSessionHandler(harness.dependencies)
        #expect(try await harness.respond(handler, Fixture.request("start")).statusCode == 201)
        let busy = try await harness.respond(handler, Fixture.request("start"))
        #expect(busy.statusCode == 409)
        #expect(try json(busy)["error"] as? String == "Conflict")
        #expect(try errorMessage(busy).contains("cp-1"))

        let other = #"{"userId":"u2","vehicleId":"v2","chargingPointId":"cp-2","maxPower":22,"targetCharge":90}"#
        #expect(try await harness.respond(handler, Fixture.request("start", body: other)).statusCode == 201)
        #expect(await harness.store.all.count == 2)
        #expect(harness.publisher.messages.count == 2)
    }

    static let validationCases: [(body: String, field: String)] = [
        (#"{"vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":80}"#, "userId"),
        (#"{"userId":"","vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":80}"#, "userId"),
        (#"{"userId":"has space","vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":80}"#, "userId"),
        (#"{"userId":42,"vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":80}"#, "userId"),
        (
            #"{"userId":"\#(String(repeating: "u", count: 65))","vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":80}"#,
            "userId"
        ),
        (#"{"userId":"u","chargingPointId":"cp-1","maxPower":11,"targetCharge":80}"#, "vehicleId"),
        (#"{"userId":"u","vehicleId":"v/1","chargingPointId":"cp-1","maxPower":11,"targetCharge":80}"#, "vehicleId"),
        (#"{"userId":"u","vehicleId":"v","maxPower":11,"targetCharge":80}"#, "chargingPointId"),
        (
            #"{"userId":"u","vehicleId":"v","chargingPointId":"cp#1","maxPower":11,"targetCharge":80}"#,
            "chargingPointId"
        ),
        (#"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","targetCharge":80}"#, "maxPower"),
        (#"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":0,"targetCharge":80}"#, "maxPower"),
        (#"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":-5,"targetCharge":80}"#, "maxPower"),
        (#"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":350.5,"targetCharge":80}"#, "maxPower"),
        (#"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":"11","targetCharge":80}"#, "maxPower"),
        (#"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":true,"targetCharge":80}"#, "maxPower"),
        (#"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":11}"#, "targetCharge"),
        (#"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":0}"#, "targetCharge"),
        (#"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":101}"#, "targetCharge"),
        (
            #"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":80,"batteryCapacity":0}"#,
            "batteryCapacity"
        ),
        (
            #"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":80,"batteryCapacity":201}"#,
            "batteryCapacity"
        ),
        (
            #"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":80,"currentCharge":-1}"#,
            "currentCharge"
        ),
        (
            #"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":100,"currentCharge":100}"#,
            "currentCharge"
        ),
        // The OpenAPI document declares no field nullable, so an explicit null is an error, not a default.
        (
            #"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":80,"currentCharge":null}"#,
            "currentCharge"
        ),
        (
            #"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":80,"batteryCapacity":null}"#,
            "batteryCapacity"
        ),
        (#"{"userId":null,"vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":80}"#, "userId"),
        (#"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":null,"targetCharge":80}"#, "maxPower"),
    ]

    @Test("a battery already at its target is accepted with nothing to add: 0 minutes, 0 kWh")
    func alreadyAtTarget() async throws {
        let harness = Harness()
        let response = try await harness.respond(
            StartSessionHandler(harness.dependencies),
            Fixture.request(
                "start",
                body:
                    #"{"userId":"u","vehicleId":"v","chargingPointId":"cp-1","maxPower":11,"targetCharge":80,"currentCharge":80}"#
            ))
        #expect(response.statusCode == 201)
        let body = try json(response)
        #expect(body["estimatedDuration"] as? Int == 0)
        #expect(body["targetEnergy"] as? Double == 0)
    }

    @Test("every invalid field is a 400 that names it, and nothing is written", arguments: validationCases)
    func validation(body: String, field: String) async throws {
        let harness = Harness()
        let response = try await harness.respond(
            StartSessionHandler(harness.dependencies), Fixture.request("start", body: body))
        #expect(response.statusCode == 400)
        let envelope = try json(response)
        #expect(envelope["error"] as? String == "ValidationError")
        #expect(try errorMessage(response).hasPrefix(field + " "), "\(envelope)")
        #expect(Timestamp.parseMilliseconds(envelope["timestamp"] as? String ?? "") != nil)
        #expect(await harness.store.writeCount == 0)
        #expect(harness.publisher.messages.isEmpty)
    }

    static let malformedBodies: [String?] = [
        nil, "", "not json", "{\"userId\":", "[1,2,3]", "\"Charging\"", "42", "null",
        "{\"userId\":\"u\",\"pad\":\"" + String(repeating: "x", count: 65 * 1024) + "\"}",
    ]

    @Test("a body that is not a JSON object of at most 64 KiB is a 400", arguments: malformedBodies)
    func malformedBody(body: String?) async throws {
        let harness = Harness()
        var request = try Fixture.request("start")
        request.body = body
        let response = try await harness.respond(StartSessionHandler(harness.dependencies), request)
        #expect(response.statusCode == 400)
        #expect(try json(response)["error"] as? String == "BadRequest")
        #expect(await harness.store.writeCount == 0)
        #expect(harness.publisher.messages.isEmpty)
    }

    @Test("a failing publisher does not fail the start")
    func publisherFailure() async throws {
        let harness = Harness()
        var dependencies = harness.dependencies
        dependencies.publisher = RecordingPublisher(failing: ChargingError(.malformedRequest, "broker down"))
        let response = try await harness.respond(StartSessionHandler(dependencies), Fixture.request("start"))
        #expect(response.statusCode == 201)
        #expect(await harness.store.all.count == 1)
    }
}
