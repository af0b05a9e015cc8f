import BSON
import DataAPI
import Foundation
import FunctionRuntime
import Logging
import TestSupport
import Testing

@testable import ChargingCore

/// ``DataAPIChargingPointRegistry`` against recorded Data API answers: which calls it makes, with which filters.
@Suite("RegisterCharger store")
struct RegisterChargerStoreTests {
    static let duplicateKey = RecordedExchange(
        "updateOne", "ChargingPoints", status: 409,
        #"{"error":"E11000 duplicate key error collection: EVChargingDB.ChargingPoints index: _id_ dup key: { _id: \"cp-7\" }","error_code":"DuplicateKey"}"#
    )
    static let upserted = RecordedExchange(
        "updateOne", "ChargingPoints", #"{"matchedCount":0,"modifiedCount":0,"upsertedId":"cp-7"}"#)
    static let matched = RecordedExchange("updateOne", "ChargingPoints", #"{"matchedCount":1,"modifiedCount":1}"#)

    static func found(_ document: String) -> RecordedExchange {
        RecordedExchange("findOne", "ChargingPoints", #"{"document":\#(document)}"#)
    }

    static let registration = ChargerRegistration(
        chargePointId: "cp-7", ocpp: true, connectors: [.init(connectorId: 1, maxPower: 22)],
        credentials: PasswordHash(iterations: 10_000, salt: Array(repeating: 7, count: 16), hash: Array(1...32)),
        registeredAt: Harness.start, provisioned: false)

    /// Runs `body` against a registry whose Data API answers `exchanges` in order; returns the bodies sent.
    func exchange(
        _ exchanges: [RecordedExchange], _ body: @Sendable (DataAPIChargingPointRegistry) async throws -> Void
    ) async throws -> [Document] {
        try await replay(exchanges, making: DataAPIChargingPointRegistry.init, body)
    }

    @Test("register is ONE conditional upsert on {_id, credentials: null} that leaves the lock fields alone")
    func registerUpsert() async throws {
        let sent = try await exchange([Self.upserted]) { registry in
            let registered = try await registry.register(Self.registration)
            #expect(registered)
        }
        #expect(sent.count == 1)
        #expect(sent[0]["filter"] == ["_id": "cp-7", "credentials": nil])
        #expect(sent[0]["upsert"] == true)
        let update = try #require(sent[0]["update"]?.documentValue)
        #expect(update["$setOnInsert"] == ["activeSessionId": nil])
        let set = try #require(update["$set"]?.documentValue)
        #expect(set.keys.sorted() == ["connectors", "credentials", "ocpp", "provisioned", "registeredAt"])
        #expect(set["registeredAt"] == .datetime(Harness.start))
        #expect(set["provisioned"] == false)
        #expect(
            set["credentials"]
                == [
                    "scheme": "pbkdf2-sha256", "iterations": .int64(10_000),
                    "salt": .string(Data(repeating: 7, count: 16).base64EncodedString()),
                    "hash": .string(Data(Array(1...32)).base64EncodedString()),
                ])
        #expect(set["connectors"] == [["connectorId": .int64(1), "maxPower": .double(22)]])
    }

    @Test("a duplicate key means already registered: false, after one look at the stored registration")
    func alreadyRegistered() async throws {
        let stored = ExtendedJSON.serialize(.document(Self.storedDocument(provisioned: true)), mode: .canonical)
        _ = try await exchange([Self.duplicateKey, Self.found(stored)]) { registry in
            let registered = try await registry.register(Self.registration)
            #expect(!registered)
        }
    }

    @Test("an unprovisioned registration older than a minute is withdrawn by its salt and the upsert tried again")
    func takesOverAbandoned() async throws {
        var old = Self.storedDocument(provisioned: false)
        old["registeredAt"] = .datetime(Harness.start - 61_000)
        old["credentials"] = ["scheme": "pbkdf2-sha256", "iterations": 10, "salt": "AAAA", "hash": "AAAA"]
        let stored = ExtendedJSON.serialize(.document(old), mode: .canonical)
        let sent = try await exchange([
            Self.duplicateKey, Self.found(stored), Self.matched, Self.upserted,
        ]) { registry in
            let registered = try await registry.register(Self.registration)
            #expect(registered)
        }
        #expect(sent[2]["filter"] == ["_id": "cp-7", "credentials.salt": "AAAA"])
        let unset = try #require(sent[2]["update"]?.documentValue?["$unset"]?.documentValue)
        #expect(unset.keys.sorted() == ["connectors", "credentials", "ocpp", "provisioned", "registeredAt"])
    }

    @Test("confirm and withdraw touch only the registration with this salt")
    func confirmAndWithdraw() async throws {
        let salt = Self.registration.credentials.salt
        let sent = try await exchange([Self.matched, Self.matched]) { registry in
            let confirmed = try await registry.confirm(chargePointId: "cp-7", salt: salt)
            #expect(confirmed)
            try await registry.withdraw(chargePointId: "cp-7", salt: salt)
        }
        let filter: Document = ["_id": "cp-7", "credentials.salt": .string(Data(salt).base64EncodedString())]
        #expect(sent[0]["filter"] == .document(filter))
        #expect(sent[0]["update"] == ["$set": ["provisioned": true]])
        #expect(sent[1]["filter"] == .document(filter))
    }

    @Test("a stored registration reads back; a lock document without credentials is no registration")
    func reads() async throws {
        let stored = ExtendedJSON.serialize(.document(Self.storedDocument(provisioned: true)), mode: .canonical)
        let lockOnly = #"{"_id":"cp-7","activeSessionId":"s-1","claimedAt":{"$date":{"$numberLong":"1"}}}"#
        _ = try await exchange([Self.found(stored), Self.found(lockOnly), Self.found("null")]) {
            registry in
            var expected = Self.registration
            expected.provisioned = true
            var read: [ChargerRegistration?] = []
            for _ in 0..<3 { read.append(try await registry.registration(chargePointId: "cp-7")) }
            #expect(read == [expected, nil, nil])
        }
    }

    @Test("an unreachable Data API is a 503 ServiceUnavailable")
    func unavailable() async throws {
        let client = DataAPIClient(
            configuration: DataAPIConfiguration(baseURL: "http://127.0.0.1:1/data-api", apiKey: "k", readRetries: 0),
            transport: CurlHTTPClient(), logger: Logger(label: "test"))
        let registry = DataAPIChargingPointRegistry(client: client, logger: Logger(label: "test"))
        await #expect(throws: ChargingError(.storeContention, "the session store is unavailable; retry shortly")) {
            _ = try await registry.register(Self.registration)
        }
    }

    /// The point's document after registering (what the upsert sets), next to the session lock fields.
    static func storedDocument(provisioned: Bool) -> Document {
        var document: Document = ["_id": "cp-7", "activeSessionId": nil, "lastSessionId": "s-0"]
        for (key, value) in DataAPIChargingPointRegistry.update(registration)["$set"]?.documentValue ?? [:] {
            document[key] = value
        }
        document["provisioned"] = .bool(provisioned)
        return document
    }
}
