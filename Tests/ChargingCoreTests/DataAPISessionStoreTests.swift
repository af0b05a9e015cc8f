import BSON
import ChargingCore
import DataAPI
import Foundation
import FunctionRuntime
import Logging
import Synchronization
import TestSupport
import Testing

@Suite("DataAPISessionStore")
struct DataAPISessionStoreTests {
    static let sessionDocument = #"""
        {"_id":"3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17","sessionId":"3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17",
         "chargingPointId":"cp-1","userId":"user-42","vehicleId":"vehicle-7","status":"Charging",
         "startTime":{"$date":{"$numberLong":"1795689595123"}},"endTime":null,
         "energyWh":{"$numberLong":"15500"},"energyConsumed":{"$numberDouble":"15.5"},
         "maxPower":{"$numberDouble":"11.0"},"targetCharge":{"$numberDouble":"80.0"},
         "targetEnergyWh":{"$numberLong":"22000"},"lastMeterSeq":{"$numberLong":"3"},"stopReason":null,
         "cost":null,"currency":"EUR"}
        """#

    @Test("a start is ONE bulkWrite: the conditional upsert of the point's lock, then the insert with BSON dates")
    func insertClaims() async throws {
        let session = Harness.session(startedMinutesAgo: 0)
        let bodies = try await replay([.started(session.sessionId)]) { store in try await store.insert(session) }
        #expect(bodies.count == 1)
        let claim = try #require(bodies[0].bulkOperation(0))
        #expect(claim.kind == "updateOne")
        #expect(claim.fields["filter"] == ["_id": "cp-1", "activeSessionId": nil])
        #expect(claim.fields["upsert"] == true)
        #expect(claim.fields["requireMatch"] == nil)
        #expect(
            claim.fields["update"]
                == [
                    "$set": [
                        "activeSessionId": .string(session.sessionId), "claimedAt": .datetime(Harness.start),
                    ]
                ])
        let insert = try #require(bodies[0].bulkOperation(1))
        #expect(insert.kind == "insertOne")
        #expect(insert.fields["collection"] == "ChargingSessions")
        let document = try #require(insert.fields["document"]?.documentValue)
        #expect(document["_id"] == .string(session.sessionId))
        #expect(document["status"] == "Charging")
        #expect(document["startTime"] == .datetime(Harness.start))
        #expect(document["energyWh"] == .int64(0))
        #expect(document["lastMeterSeq"] == .int64(-1))
        #expect(document["targetEnergyWh"] == .int64(22_000))
        #expect(bodies[0].bulkOperation(2) == nil)
    }

    @Test("a duplicate key on the claim means busy; the session is not inserted")
    func busy() async throws {
        let session = Harness.session(startedMinutesAgo: 0)
        _ = try await replay([
            .claimRefused,
            RecordedExchange(
                "findOne", "ChargingPoints",
                #"{"document":{"_id":"cp-1","activeSessionId":"other","claimedAt":{"$date":{"$numberLong":"1795691390000"}}}}"#
            ),
            RecordedExchange(
                "findOne", "ChargingSessions",
                #"{"document":{"_id":"other","sessionId":"other","chargingPointId":"cp-1","status":"Charging","startTime":{"$date":{"$numberLong":"1795691390000"}}}}"#
            ),
        ]) { store in
            let error = await #expect(throws: ChargingError.self) { try await store.insert(session) }
            #expect(error?.code == .chargingPointBusy)
            // The Data API's refusal is kept for the log, and only there.
            #expect((error?.underlying as? DataAPIError)?.code == .duplicateKey)
            #expect(error?.publicMessage.contains("E11000") == false)
            #expect(error?.debugDescription.contains("E11000") == true)
        }
    }

    @Test("an insert that failed ambiguously keeps the point's lock (no release request follows)")
    func ambiguousInsertKeepsLock() async throws {
        let session = Harness.session(startedMinutesAgo: 0)
        _ = try await replay([
            RecordedExchange(
                "bulkWrite", "ChargingPoints",
                #"{"results":[{"matchedCount":0,"modifiedCount":0,"upsertedId":"cp-1"}],"writeError":{"index":1,"error":"write concern timed out","error_code":"InternalServerError"}}"#
            )
        ]) { store in
            let error = await #expect(throws: DataAPIError.self) { try await store.insert(session) }
            #expect(error?.code == .backendFailure)
        }
    }

    @Test("a start whose bulkWrite request failed as a whole surfaces the error and sends nothing more")
    func failedRequest() async throws {
        let session = Harness.session(startedMinutesAgo: 0)
        _ = try await replay([
            RecordedExchange(
                "bulkWrite", "ChargingPoints", status: 500,
                #"{"error":"the embedded database could not commit the write; nothing was written","error_code":"InternalServerError"}"#
            )
        ]) { store in
            let error = await #expect(throws: DataAPIError.self) { try await store.insert(session) }
            #expect(error?.code == .backendFailure)
        }
    }

    @Test("an insert that certainly failed releases the point's lock again")
    func definiteInsertFailureReleasesLock() async throws {
        let session = Harness.session(startedMinutesAgo: 0)
        let bodies = try await replay([
            RecordedExchange(
                "bulkWrite", "ChargingPoints",
                #"{"results":[{"matchedCount":0,"modifiedCount":0,"upsertedId":"cp-1"}],"writeError":{"index":1,"error":"bad document","error_code":"InvalidParameter"}}"#
            ),
            RecordedExchange("updateOne", "ChargingPoints", #"{"matchedCount":1,"modifiedCount":1}"#),
        ]) { store in
            let error = await #expect(throws: DataAPIError.self) { try await store.insert(session) }
            #expect(error?.code == .invalidParameter)
        }
        #expect(bodies.last?["filter"]?.documentValue?["activeSessionId"] == .string(session.sessionId))
    }

    @Test("a session id that exists already is busy, and the claim is released")
    func duplicateSession() async throws {
        let session = Harness.session(startedMinutesAgo: 0)
        let bodies = try await replay([
            RecordedExchange(
                "bulkWrite", "ChargingPoints",
                #"{"results":[{"matchedCount":1,"modifiedCount":1}],"writeError":{"index":1,"error":"E11000 duplicate key error","error_code":"DuplicateKey"}}"#
            ),
            RecordedExchange("updateOne", "ChargingPoints", #"{"matchedCount":1,"modifiedCount":1}"#),
        ]) { store in
            let error = await #expect(throws: ChargingError.self) { try await store.insert(session) }
            #expect(error?.code == .chargingPointBusy)
        }
        #expect(bodies.count == 2)
    }

    @Test("a lock left by a start that crashed before inserting is taken over after a minute")
    func abandonedLock() async throws {
        let session = Harness.session(startedMinutesAgo: 0)
        let tenMinutesAgo = Harness.start - 600_000
        let bodies = try await replay([
            .claimRefused,
            RecordedExchange(
                "findOne", "ChargingPoints",
                #"{"document":{"_id":"cp-1","activeSessionId":"ghost","claimedAt":{"$date":{"$numberLong":"\#(tenMinutesAgo)"}}}}"#
            ),
            RecordedExchange("findOne", "ChargingSessions", #"{"document":null}"#),
            RecordedExchange(
                "updateOne", "ChargingPoints",
                #"{"matchedCount":{"$numberInt":"1"},"modifiedCount":{"$numberInt":"1"}}"#),
            .started(session.sessionId),
        ]) { store in try await store.insert(session) }
        #expect(bodies[3]["filter"] == ["_id": "cp-1", "activeSessionId": "ghost"])
        #expect(bodies[3]["update"] == ["$set": ["activeSessionId": nil, "lastSessionId": "ghost"]])
        #expect(bodies[4].bulkOperation(0)?.fields["filter"] == ["_id": "cp-1", "activeSessionId": nil])
        #expect(bodies[4].bulkOperation(1)?.kind == "insertOne")
    }

    @Test("a meter value is one guarded update: status, point and lastMeterSeq < seq in the filter, $max energy")
    func meterValue() async throws {
        let bodies = try await replay([
            RecordedExchange(
                "updateOne", "ChargingSessions",
                #"{"matchedCount":{"$numberInt":"1"},"modifiedCount":{"$numberInt":"1"}}"#),
            RecordedExchange("findOne", "ChargingSessions", #"{"document":\#(Self.sessionDocument)}"#),
        ]) { store in
            let session = try await store.applyMeterValue(
                sessionId: Harness.fixtureSessionID, chargingPointId: "cp-1", energyWh: 15_500, seq: 3,
                receivedAt: Harness.start)
            #expect(session?.energyWh == 15_500)
            #expect(session?.lastMeterSeq == 3)
            #expect(session?.startTime == Harness.start - 30 * 60_000)
        }
        #expect(
            bodies[0]["filter"]
                == [
                    "_id": .string(Harness.fixtureSessionID), "chargingPointId": "cp-1", "status": "Charging",
                    "lastMeterSeq": ["$lt": .int64(3)],
                ])
        #expect(
            bodies[0]["update"]
                == [
                    "$max": [
                        "energyWh": .int64(15_500), "energyConsumed": .double(15.5),
                        "lastReadingAt": .datetime(Harness.start), "lastActivity": .datetime(Harness.start),
                    ],
                    "$set": ["lastMeterSeq": .int64(3)],
                ])
    }

    @Test("a repeated or older seq matches nothing and is not read back")
    func duplicateSeq() async throws {
        _ = try await replay([
            RecordedExchange(
                "updateOne", "ChargingSessions",
                #"{"matchedCount":{"$numberInt":"0"},"modifiedCount":{"$numberInt":"0"}}"#)
        ]) { store in
            let session = try await store.applyMeterValue(
                sessionId: Harness.fixtureSessionID, chargingPointId: "cp-1", energyWh: 100, seq: 2,
                receivedAt: Harness.start)
            #expect(session == nil)
        }
    }

    @Test("stop over the Data API: one bulkWrite of the compare-and-set on the read energy and the release; 12.75")
    func stopThroughHandler() async throws {
        let bodies = try await replay([
            RecordedExchange("findOne", "ChargingSessions", #"{"document":\#(Self.sessionDocument)}"#), .stopped,
        ]) { store in
            let harness = Harness()
            var dependencies = harness.dependencies
            dependencies.store = store
            let response = try await harness.respond(StopSessionHandler(dependencies), Fixture.request("stop"))
            #expect(response.statusCode == 200)
            #expect(try json(response)["cost"] as? Double == 12.75)
            #expect(try json(response)["durationMinutes"] as? Int == 30)
        }
        #expect(bodies.count == 2)
        #expect(bodies[0]["filter"] == ["_id": .string(Harness.fixtureSessionID)])
        let compareAndSet = try #require(bodies[1].bulkOperation(0))
        #expect(compareAndSet.kind == "updateOne")
        #expect(compareAndSet.fields["requireMatch"] == true)
        #expect(
            compareAndSet.fields["filter"]
                == ["_id": .string(Harness.fixtureSessionID), "status": "Charging", "energyWh": .int64(15_500)])
        let set = try #require(compareAndSet.fields.value(atPath: "update.$set")?.documentValue)
        #expect(set["status"] == "Stopped")
        #expect(set["endTime"] == .datetime(Harness.start))
        #expect(set["stopReason"] == "Requested")
        #expect(set["cost"] == .double(12.75))
        let release = try #require(bodies[1].bulkOperation(1))
        #expect(release.fields["collection"] == "ChargingPoints")
        #expect(release.fields["filter"] == ["_id": "cp-1", "activeSessionId": .string(Harness.fixtureSessionID)])
        #expect(release.fields["requireMatch"] == nil)
    }

    @Test("a stop whose lock release failed is still a stop (the next start takes the lock over)")
    func releaseFailed() async throws {
        _ = try await replay([
            RecordedExchange("findOne", "ChargingSessions", #"{"document":\#(Self.sessionDocument)}"#),
            RecordedExchange(
                "bulkWrite", "ChargingSessions",
                #"{"results":[{"matchedCount":1,"modifiedCount":1}],"writeError":{"index":1,"error":"not primary","error_code":"InternalServerError"}}"#
            ),
        ]) { store in
            let harness = Harness()
            var dependencies = harness.dependencies
            dependencies.store = store
            let response = try await harness.respond(StopSessionHandler(dependencies), Fixture.request("stop"))
            #expect(response.statusCode == 200)
            #expect(try json(response)["cost"] as? Double == 12.75)
        }
    }

    @Test("list: filters, newest-first sort, limit + 1 and the cursor as $or on (startTime, _id)")
    func list() async throws {
        func doc(_ id: String, _ ms: Int64) -> String {
            #"{"_id":"\#(id)","sessionId":"\#(id)","chargingPointId":"cp-1","userId":"alice","status":"Stopped","startTime":{"$date":{"$numberLong":"\#(ms)"}},"endTime":{"$date":{"$numberLong":"\#(ms + 60000)"}},"energyWh":{"$numberLong":"1000"},"cost":{"$numberDouble":"5.5"},"currency":"EUR"}"#
        }
        let cursor = SessionCursor(startTime: 1_795_600_000_000, sessionId: "s9")
        let bodies = try await replay([
            RecordedExchange(
                "find", "ChargingSessions",
                #"{"documents":[\#(doc("s8", 1_795_500_000_000)),\#(doc("s7", 1_795_400_000_000)),\#(doc("s6", 1_795_300_000_000))]}"#
            )
        ]) { store in
            let page = try await store.list(
                SessionQuery(
                    chargingPointId: "cp-1", userId: "alice", status: .stopped, from: 1_795_000_000_000, limit: 2,
                    after: cursor))
            #expect(page.sessions.map(\.sessionId) == ["s8", "s7"])
            #expect(page.sessions.first?.costCents == 550)
            #expect(page.nextCursor == SessionCursor(startTime: 1_795_400_000_000, sessionId: "s7"))
        }
        #expect(
            bodies[0]["filter"]
                == [
                    "chargingPointId": "cp-1", "userId": "alice", "status": "Stopped",
                    "startTime": ["$gte": .datetime(1_795_000_000_000)],
                    "$or": [
                        ["startTime": ["$lt": .datetime(1_795_600_000_000)]],
                        ["startTime": .datetime(1_795_600_000_000), "_id": ["$lt": "s9"]],
                    ],
                ])
        #expect(bodies[0]["sort"] == ["startTime": -1, "_id": -1])
        #expect(bodies[0]["limit"]?.int64Value == 3)
    }

    @Test("current: one find, Charging before Stopped then newest first, limit 1, scoped by charging point")
    func current() async throws {
        let stored =
            #"{"_id":"s1","sessionId":"s1","chargingPointId":"cp-1","status":"Charging","startTime":{"$date":{"$numberLong":"1795500000000"}}}"#
        let bodies = try await replay([
            RecordedExchange("find", "ChargingSessions", #"{"documents":[\#(stored)]}"#),
            RecordedExchange("find", "ChargingSessions", #"{"documents":[]}"#),
        ]) { store in
            let scoped = try await store.current(chargingPointId: "cp-1", userId: nil)
            #expect(scoped?.sessionId == "s1")
            let any = try await store.current(chargingPointId: nil, userId: nil)
            #expect(any == nil)
        }
        #expect(bodies.count == 2)
        #expect(bodies[0]["filter"] == ["chargingPointId": "cp-1"])
        #expect(bodies[1]["filter"] == [:])
        for body in bodies {
            #expect(body["sort"] == ["status": 1, "startTime": -1, "_id": -1])
            #expect(body["limit"]?.int64Value == 1)
        }
    }

    @Test(
        "Data API failures surface as errors: 503 while it is unavailable, 500 when it failed, internals never shown",
        arguments: [
            (503, #"{"error":"backend unavailable","error_code":"ServiceUnavailable"}"#, 503, "ServiceUnavailable"),
            (500, #"{"error":"backend unavailable","error_code":"InternalServerError"}"#, 500, "InternalServerError"),
        ])
    func failure(dataAPIStatus: Int, reply: String, status: Int, error: String) async throws {
        _ = try await replay([
            RecordedExchange("findOne", "ChargingSessions", status: dataAPIStatus, reply)
        ]) { store in
            let harness = Harness()
            var dependencies = harness.dependencies
            dependencies.store = store
            let response = try await harness.respond(StopSessionHandler(dependencies), Fixture.request("stop"))
            #expect(response.statusCode == status)
            #expect(try json(response)["error"] as? String == error)
            #expect(!response.body.contains("backend unavailable"))
        }
    }
}
