import BSON
import ChargingCore
import ChargingCoreTesting
import DataAPI
import Testing

/// ``DataAPIOutstandingCalls`` against recorded Data API answers: the `OcppCalls` documents and filters it writes.
@Suite("OutstandingCalls")
struct OutstandingCallsTests {
    static let call = OutstandingCall(
        chargePointId: "cp-1", messageId: "m-1", connectionId: "conn-1", action: "Reset", sentAt: Harness.start,
        deadline: Harness.start + 10_000, awaited: true)
    static let inserted = RecordedExchange("insertOne", "OcppCalls", #"{"insertedId":"cp-1"}"#)
    static let duplicate = RecordedExchange(
        "insertOne", "OcppCalls", status: 409,
        #"{"error":"E11000 duplicate key error collection: EVChargingDB.OcppCalls","error_code":"DuplicateKey"}"#)

    static func found(deadline: Int64) -> RecordedExchange {
        RecordedExchange(
            "findOne", "OcppCalls",
            #"{"document":{"_id":"cp-1","messageId":"m-old","action":"GetConfiguration","deadline":{"$date":{"$numberLong":"\#(deadline)"}}}}"#
        )
    }

    func exchange(
        _ exchanges: [RecordedExchange], _ body: @Sendable (DataAPIOutstandingCalls) async throws -> Void
    ) async throws -> [Document] {
        try await replay(exchanges, making: DataAPIOutstandingCalls.init, body)
    }

    @Test("claim inserts {_id: chargePointId, messageId, connectionId, action, sentAt, deadline, awaited, answered}")
    func claim() async throws {
        let sent = try await exchange([Self.inserted]) { try await $0.claim(Self.call) }
        #expect(
            sent[0]["document"]
                == [
                    "_id": "cp-1", "messageId": "m-1", "connectionId": "conn-1", "action": "Reset",
                    "sentAt": .datetime(Harness.start), "deadline": .datetime(Harness.start + 10_000),
                    "awaited": true, "answered": false,
                ])
    }

    @Test("a duplicate whose deadline passed is deleted by _id + messageId and the claim retried once")
    func staleTakenOver() async throws {
        let deleted = RecordedExchange("deleteOne", "OcppCalls", #"{"deletedCount":1}"#)
        let sent = try await exchange([Self.duplicate, Self.found(deadline: Harness.start - 1), deleted, Self.inserted])
        {
            try await $0.claim(Self.call)
        }
        #expect(sent[1]["filter"] == ["_id": "cp-1"])
        #expect(sent[2]["filter"] == ["_id": "cp-1", "messageId": "m-old"])
        #expect(sent[3]["document"]?.documentValue?["messageId"] == "m-1")
    }

    @Test("a duplicate still within its deadline is .chargerBusy, nothing deleted")
    func busy() async throws {
        _ = try await exchange([Self.duplicate, Self.found(deadline: Harness.start + 1)]) { calls in
            await expectChargingError(.chargerBusy) { try await calls.claim(Self.call) }
        }
    }

    @Test("a stale call that another claim took first makes the charger busy after one retry")
    func retryOnce() async throws {
        let deleted = RecordedExchange("deleteOne", "OcppCalls", #"{"deletedCount":0}"#)
        _ = try await exchange([
            Self.duplicate, Self.found(deadline: Harness.start - 1), deleted, Self.duplicate,
            Self.found(deadline: Harness.start - 1),
        ]) { calls in
            await expectChargingError(.chargerBusy) { try await calls.claim(Self.call) }
        }
    }

    @Test("resolve records the CALLRESULT with updateOne on {_id, messageId, awaited, answered: false}")
    func resolveAwaited() async throws {
        let matched = RecordedExchange("updateOne", "OcppCalls", #"{"matchedCount":1,"modifiedCount":1}"#)
        let sent = try await exchange([matched]) { calls in
            let resolved = try await calls.resolve(
                chargePointId: "cp-1", messageId: "m-1",
                outcome: .result(["status": "Accepted", "configurationKey": [["key": "A", "readonly": true]]]))
            #expect(resolved)
        }
        #expect(sent[0]["filter"] == ["_id": "cp-1", "messageId": "m-1", "awaited": true, "answered": false])
        #expect(
            sent[0]["update"]
                == [
                    "$set": [
                        "answered": true,
                        "result": [
                            "configurationKey": [["key": "A", "readonly": true]], "status": "Accepted",
                        ],
                    ]
                ])
    }

    @Test("resolve of a call nobody waits for deletes it; an unknown one is false")
    func resolveNotAwaited() async throws {
        let unmatched = RecordedExchange("updateOne", "OcppCalls", #"{"matchedCount":0,"modifiedCount":0}"#)
        let deleted = RecordedExchange("deleteOne", "OcppCalls", #"{"deletedCount":1}"#)
        let none = RecordedExchange("deleteOne", "OcppCalls", #"{"deletedCount":0}"#)
        let sent = try await exchange([unmatched, deleted, unmatched, none]) { calls in
            let known = try await calls.resolve(chargePointId: "cp-1", messageId: "m-1", outcome: .result([:]))
            let unknown = try await calls.resolve(chargePointId: "cp-1", messageId: "m-2", outcome: .result([:]))
            #expect(known && !unknown)
        }
        #expect(sent[1]["filter"] == ["_id": "cp-1", "messageId": "m-1", "awaited": false])
    }

    @Test("a CALLERROR is stored as errorCode + errorDescription and read back")
    func callError() async throws {
        let matched = RecordedExchange("updateOne", "OcppCalls", #"{"matchedCount":1,"modifiedCount":1}"#)
        let answered = RecordedExchange(
            "findOne", "OcppCalls",
            #"{"document":{"_id":"cp-1","messageId":"m-1","answered":true,"errorCode":"NotSupported","errorDescription":"no"}}"#
        )
        let sent = try await exchange([matched, answered]) { calls in
            _ = try await calls.resolve(
                chargePointId: "cp-1", messageId: "m-1", outcome: .error(code: "NotSupported", description: "no"))
            let outcome = try await calls.outcome(chargePointId: "cp-1", messageId: "m-1")
            #expect(outcome == .error(code: "NotSupported", description: "no"))
        }
        #expect(
            sent[0]["update"]
                == ["$set": ["answered": true, "errorCode": "NotSupported", "errorDescription": "no"]])
        #expect(sent[1]["filter"] == ["_id": "cp-1", "messageId": "m-1"])
    }

    @Test("outcome is nil while unanswered or gone, the result once answered; remove deletes that call only")
    func pollAndRemove() async throws {
        let waiting = RecordedExchange(
            "findOne", "OcppCalls", #"{"document":{"_id":"cp-1","messageId":"m-1","answered":false}}"#)
        let gone = RecordedExchange("findOne", "OcppCalls", #"{"document":null}"#)
        let answered = RecordedExchange(
            "findOne", "OcppCalls",
            #"{"document":{"_id":"cp-1","messageId":"m-1","answered":true,"result":{"status":"Accepted","n":{"$numberLong":"5"}}}}"#
        )
        let deleted = RecordedExchange("deleteOne", "OcppCalls", #"{"deletedCount":1}"#)
        let sent = try await exchange([waiting, gone, answered, deleted]) { calls in
            var outcomes: [OcppCallOutcome?] = []
            for _ in 0..<3 { outcomes.append(try await calls.outcome(chargePointId: "cp-1", messageId: "m-1")) }
            #expect(outcomes == [nil, nil, .result(["status": "Accepted", "n": 5])])
            try await calls.remove(chargePointId: "cp-1", messageId: "m-1")
        }
        #expect(sent[3]["filter"] == ["_id": "cp-1", "messageId": "m-1"])
    }
}
