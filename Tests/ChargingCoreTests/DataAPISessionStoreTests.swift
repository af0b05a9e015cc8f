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

    @Test("insert claims the charging point with ONE conditional upsert, then inserts with BSON dates")
    func insertClaims() async throws {
        let session = Harness.session(startedMinutesAgo: 0)
        let bodies = try await replay([
            RecordedExchange(
                "updateOne", "ChargingPoints",
                #"{"matchedCount":{"$numberInt":"0"},"modifiedCount":{"$numberInt":"0"},"upsertedId":"cp-1"}"#),
            RecordedExchange("insertOne", "ChargingSessions", #"{"insertedId":"\#(session.sessionId)"}"#),
        ]) { store in try await store.insert(session) }
        #expect(bodies[0]["filter"] == ["_id": "cp-1", "activeSessionId": nil])
        #expect(bodies[0]["upsert"] == true)
        #expect(
            bodies[0]["update"]
                == [
                    "$set": [
                        "activeSessionId": .string(session.sessionId), "claimedAt": .datetime(Harness.start),
                    ]
                ])
        let document = try #require(bodies[1]["document"]?.documentValue)
        #expect(document["_id"] == .string(session.sessionId))
        #expect(document["status"] == "Charging")
        #expect(document["startTime"] == .datetime(Harness.start))
        #expect(document["energyWh"] == .int64(0))
        #expect(document["lastMeterSeq"] == .int64(-1))
        #expect(document["targetEnergyWh"] == .int64(22_000))
    }

    @Test("a duplicate key on the claim means busy; the session is not inserted")
    func busy() async throws {
        let session = Harness.session(startedMinutesAgo: 0)
        _ = try await replay([
            RecordedExchange(
                "updateOne", "ChargingPoints", status: 409,
                #"{"error":"E11000 duplicate key error collection: EVChargingDB.ChargingPoints index: _id_ dup key: { _id: \"cp-1\" }","error_code":"DuplicateKey"}"#
            ),
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
            .pointClaimed,
            RecordedExchange(
                "insertOne", "ChargingSessions", status: 500,
                #"{"error":"write concern timed out","error_code":"InternalServerError"}"#),
        ]) { store in
            let error = await #expect(throws: DataAPIError.self) { try await store.insert(session) }
            #expect(error?.code == .backendFailure)
        }
    }

    @Test("an insert that certainly failed releases the point's lock again")
    func definiteInsertFailureReleasesLock() async throws {
        let session = Harness.session(startedMinutesAgo: 0)
        let bodies = try await replay([
            .pointClaimed,
            RecordedExchange(
                "insertOne", "ChargingSessions", status: 400,
                #"{"error":"bad document","error_code":"InvalidParameter"}"#),
            RecordedExchange("updateOne", "ChargingPoints", #"{"matchedCount":1,"modifiedCount":1}"#),
        ]) { store in
            let error = await #expect(throws: DataAPIError.self) { try await store.insert(session) }
            #expect(error?.code == .invalidParameter)
        }
        #expect(bodies.last?["filter"]?.documentValue?["activeSessionId"] == .string(session.sessionId))
    }

    @Test("a lock left by a start that crashed before inserting is taken over after a minute")
    func abandonedLock() async throws {
        let session = Harness.session(startedMinutesAgo: 0)
        let tenMinutesAgo = Harness.start - 600_000
        let bodies = try await replay([
            RecordedExchange(
                "updateOne", "ChargingPoints", status: 409, #"{"error":"duplicate key","error_code":"DuplicateKey"}"#),
            RecordedExchange(
                "findOne", "ChargingPoints",
                #"{"document":{"_id":"cp-1","activeSessionId":"ghost","claimedAt":{"$date":{"$numberLong":"\#(tenMinutesAgo)"}}}}"#
            ),
            RecordedExchange("findOne", "ChargingSessions", #"{"document":null}"#),
            RecordedExchange(
                "updateOne", "ChargingPoints",
                #"{"matchedCount":{"$numberInt":"1"},"modifiedCount":{"$numberInt":"1"}}"#),
            RecordedExchange(
                "updateOne", "ChargingPoints",
                #"{"matchedCount":{"$numberInt":"1"},"modifiedCount":{"$numberInt":"1"}}"#),
            RecordedExchange("insertOne", "ChargingSessions", #"{"insertedId":"\#(session.sessionId)"}"#),
        ]) { store in try await store.insert(session) }
        #expect(bodies[3]["filter"] == ["_id": "cp-1", "activeSessionId": "ghost"])
        #expect(bodies[3]["update"] == ["$set": ["activeSessionId": nil, "lastSessionId": "ghost"]])
        #expect(bodies[4]["filter"] == ["_id": "cp-1", "activeSessionId": nil])
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

    @Test("stop over the Data API: compare-and-set on the read energy, then the point is released; 12.75")
    func stopThroughHandler() async throws {
        let bodies = try await replay([
            RecordedExchange("findOne", "ChargingSessions", #"{"document":\#(Self.sessionDocument)}"#),
            RecordedExchange(
                "updateOne", "ChargingSessions",
                #"{"matchedCount":{"$numberInt":"1"},"modifiedCount":{"$numberInt":"1"}}"#),
            RecordedExchange(
                "updateOne", "ChargingPoints",
                #"{"matchedCount":{"$numberInt":"1"},"modifiedCount":{"$numberInt":"1"}}"#),
        ]) { store in
            let harness = Harness()
            var dependencies = harness.dependencies
            dependencies.store = store
            let response = try await harness.respond(StopSessionHandler(dependencies), Fixture.request("stop"))
            #expect(response.statusCode == 200)
            #expect(try json(response)["cost"] as? Double == 12.75)
            #expect(try json(response)["durationMinutes"] as? Int == 30)
        }
        #expect(bodies[0]["filter"] == ["_id": .string(Harness.fixtureSessionID)])
        #expect(
            bodies[1]["filter"]
                == ["_id": .string(Harness.fixtureSessionID), "status": "Charging", "energyWh": .int64(15_500)])
        let set = try #require(bodies[1].value(atPath: "update.$set")?.documentValue)
        #expect(set["status"] == "Stopped")
        #expect(set["endTime"] == .datetime(Harness.start))
        #expect(set["stopReason"] == "Requested")
        #expect(set["cost"] == .double(12.75))
        #expect(bodies[2]["filter"] == ["_id": "cp-1", "activeSessionId": .string(Harness.fixtureSessionID)])
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
