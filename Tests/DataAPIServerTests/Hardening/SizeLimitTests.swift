import BSON
import Testing

@testable import DataAPIServer

/// Document size (exact BSON bytes) and keys per object (issue 12), and SQL that stays within SQLite's
/// own bounds for filters of any size.
@Suite("Data API size limits")
struct SizeLimitTests {
    static let mebibyte = 1 << 20

    /// The message of the 400 a request body is refused with when parsed (nil when it is accepted).
    static func refusal(_ action: DataAPIAction, _ fields: Document) -> String? {
        var body = fields
        body["database"] = "hardening"
        body["collection"] = "items"
        do {
            _ = try ActionRequest(action, body)
            return nil
        } catch {
            return error.httpStatus == 400 ? error.message : "\(error)"
        }
    }

    @Test("a document over 16 MiB as BSON is refused on insert and replacement, before any backend")
    func documentSize() {
        let mention = "over the limit of 16777216 bytes"
        let huge = BSONValue.string(String(repeating: "x", count: 16 * Self.mebibyte))
        let refusals = [
            Self.refusal(.insertOne, ["document": ["_id": "big", "s": huge]]),
            Self.refusal(.insertMany, ["documents": [["_id": 1], ["_id": "big", "s": huge]]]),
            Self.refusal(.updateOne, ["filter": [:], "update": ["s": huge]]),
            // JSON that is small next to its BSON: 2 bytes of JSON, up to 11 of BSON per element.
            Self.refusal(.insertOne, ["document": ["a": .array(Array(repeating: .int32(7), count: 1_600_000))]]),
        ]
        for message in refusals { #expect(message?.contains(mention) == true, "\(message ?? "accepted")") }
        let fits = BSONValue.string(String(repeating: "x", count: 16 * Self.mebibyte - 100))
        #expect(Self.refusal(.insertOne, ["document": ["_id": "fits", "s": fits]]) == nil)
    }

    @Test("an update that grows a document past 16 MiB is refused and writes nothing")
    func updateGrowth() async throws {
        try await HardeningServer.with(maxBodyBytes: 20 * Self.mebibyte) { server in
            let half = BSONValue.string(String(repeating: "y", count: 8 * Self.mebibyte + 1))
            try await server.expectAccepted("insertOne", ["document": ["_id": "half", "a": half]])
            try await server.expectRefused(
                "updateOne", ["filter": ["_id": "half"], "update": ["$set": ["b": half]]],
                mentioning: "over the limit of 16777216 bytes")
        }
    }

    @Test("an object with 10,001 keys is refused anywhere in a request; 10,000 are accepted")
    func keysPerObject() async throws {
        try await HardeningServer.with { server in
            func wide(_ count: Int) -> Document { Document((0..<count).map { ("k\($0)", BSONValue.int32(1)) }) }
            let mention = "over the limit of 10000 keys"
            try await server.expectRefused("insertOne", ["document": .document(wide(10_001))], mentioning: mention)
            try await server.expectRefused(
                "insertOne", ["document": ["_id": 1, "inner": .document(wide(10_001))]], mentioning: mention)
            try await server.expectRefused("find", ["filter": .document(wide(10_001))], mentioning: mention)
            try await server.expectAccepted("insertOne", ["document": ["_id": 2, "inner": .document(wide(10_000))]])
            try await server.expectRefused(
                "updateOne", ["filter": ["_id": 2], "update": ["$set": ["inner.extra": 1]]], mentioning: mention)
        }
    }

    @Test("the BSON size is exact")
    func bsonSize() {
        // Sizes as libbson encodes them.
        #expect(DocumentShape(Document()).bsonBytes == 5)
        #expect(DocumentShape(["a": 1]).bsonBytes == 12)
        #expect(DocumentShape(["a": "b"]).bsonBytes == 14)
        // The array: 4 + (type, "0", NUL, true) + (type, "1", NUL) + 1 = 12.
        #expect(DocumentShape(["a": [true, .null]]).bsonBytes == 4 + 1 + 2 + 12 + 1)
        #expect(
            DocumentShape(["d": .datetime(0), "o": .objectId(ObjectId()), "f": 1.5]).bsonBytes == 4 + 11 + 15 + 11 + 1)
        #expect(DocumentShape(["a": ["b": [1]]]).depth == 3)
        let long = BSONValue.array(Array(repeating: .null, count: 11))
        #expect(DocumentShape(["a": long]).bsonBytes == 4 + 1 + 2 + 4 + 10 * 3 + 4 + 1 + 1)
    }

    @Test("filters larger than SQLite's own bounds still run (no 'too many SQL variables' or deep expressions)")
    func largeSQLFilters() async throws {
        try await HardeningServer.with { server in
            let documents: [BSONValue] = (0..<30).map { i in
                [
                    "_id": .string("s\(i)"), "sessionId": .string("s\(i)"), "chargingPointId": "cp", "userId": "u",
                    "status": "Charging",
                ]
            }
            try await server.expectAccepted("insertMany", ["documents": .array(documents)])
            let ids = (0..<10_000).map { BSONValue.string("s\($0)") }
            let wide = try await server.expectAccepted(
                "find",
                [
                    "filter": [
                        "_id": ["$in": .array(ids)], "sessionId": ["$in": .array(ids)],
                        "chargingPointId": ["$in": .array(ids.dropLast() + ["cp"])],
                        "userId": ["$in": .array(ids.dropLast() + ["u"])],
                    ]
                ])
            #expect(wide["documents"]?.arrayValue?.count == 30)
            let alternatives = (0..<3_000).map { BSONValue.document(["sessionId": .string("s\($0)")]) }
            let any = try await server.expectAccepted(
                "find", ["filter": ["$or": .array(alternatives)], "sort": ["_id": 1]])
            #expect(any["documents"]?.arrayValue?.count == 30)
            let all = (0..<3_000).map { _ in BSONValue.document(["status": "Charging"]) }
            let every = try await server.expectAccepted("deleteMany", ["filter": ["$and": .array(all)]])
            #expect(every["deletedCount"] == .int32(30))
        }
    }
}
