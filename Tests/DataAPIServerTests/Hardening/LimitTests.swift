import BSON
import Testing

@testable import DataAPIServer

/// The bounds of ``DataAPILimits`` (issue 12), the same on write as on read: past each, a 400
/// `InvalidParameter` naming the bound and nothing written; at the bound, accepted and readable.
@Suite("Data API limits")
struct LimitTests {
    static let doc: Document = ["_id": "d", "list": [1, 2], "keep": true]

    @Test("a $set path of 200,000 components is refused without crashing the server")
    func hugePath() async throws {
        try await HardeningServer.with { server in
            try await server.expectAccepted("insertOne", ["document": .document(Self.doc)])
            try await server.expectRefused(
                "updateOne",
                ["filter": ["_id": "d"], "update": ["$set": [.init(HardeningServer.path(200_000)): 1]]],
                mentioning: "over the limit of 100 path components")
            try await server.expectAccepted("findOne", ["filter": ["_id": "d"]])
        }
    }

    @Test("a $set path of 101 components is refused; 100 are accepted and read back")
    func pathAtTheBound() async throws {
        try await HardeningServer.with { server in
            try await server.expectAccepted("insertOne", ["document": .document(Self.doc)])
            for count in [150, 101] {
                try await server.expectRefused(
                    "updateOne",
                    ["filter": ["_id": "d"], "update": ["$set": [.init(HardeningServer.path(count)): 1]]],
                    mentioning: "over the limit of 100 path components")
            }
            try await server.expectAccepted(
                "updateOne", ["filter": ["_id": "d"], "update": ["$set": [.init(HardeningServer.path(100)): 1]]])
            let read = try await server.expectAccepted("findOne", ["filter": ["_id": "d"]])
            #expect(read["document"].map(HardeningServer.depth) == 100)
        }
    }

    @Test("every place a path enters refuses 101 components", arguments: ["find", "sort", "projection", "aggregate"])
    func pathEverywhere(place: String) async throws {
        let path = HardeningServer.path(101)
        let requests: [String: (String, Document)] = [
            "find": ("find", ["filter": [.init(path): 1]]),
            "sort": ("find", ["filter": [:], "sort": [.init(path): 1]]),
            "projection": ("find", ["filter": [:], "projection": [.init(path): 1]]),
            "aggregate": ("aggregate", ["pipeline": [["$group": ["_id": .string("$" + path)]]]]),
        ]
        try await HardeningServer.with { server in
            let (action, fields) = try #require(requests[place])
            try await server.expectRefused(action, fields, mentioning: "over the limit of 100 path components")
        }
    }

    @Test("a document of 100 levels is stored and read back; 101 levels are refused on every write")
    func nesting() async throws {
        try await HardeningServer.with { server in
            // The deepest value a date: its Extended JSON wrapper adds two JSON levels.
            var deep = HardeningServer.nested(100, leaf: .datetime(1_767_261_600_000))
            deep["_id"] = "deep"
            try await server.expectAccepted("insertOne", ["document": .document(deep)])
            var deepMany = HardeningServer.nested(100, leaf: .int64(1))
            deepMany["_id"] = "many"
            try await server.expectAccepted("insertMany", ["documents": [.document(deepMany)]])
            let read = try await server.expectAccepted("find", ["filter": [:], "sort": ["_id": 1]])
            #expect(read["documents"]?.arrayValue?.map(HardeningServer.depth) == [100, 100])

            let tooDeep = HardeningServer.nested(101)
            let mention = "over the limit of 100 levels"
            try await server.expectRefused("insertOne", ["document": .document(tooDeep)], mentioning: mention)
            try await server.expectRefused(
                "insertMany", ["documents": [["_id": 9], .document(tooDeep)]], mentioning: mention)
            try await server.expectRefused(
                "updateOne", ["filter": ["_id": "deep"], "update": .document(tooDeep)], mentioning: mention)
            // 60 components with an operand 50 levels deep reach level 110.
            try await server.expectRefused(
                "updateOne",
                [
                    "filter": ["_id": "many"],
                    "update": ["$set": [.init(HardeningServer.path(60)): .document(HardeningServer.nested(50))]],
                ],
                mentioning: mention)
        }
    }

    @Test("an upsert's filter fields are bounded like $set; without upsert the same filter just matches nothing")
    func upsertSeed() async throws {
        try await HardeningServer.with { server in
            let filter: Document = [.init(HardeningServer.path(60)): .document(HardeningServer.nested(50))]
            try await server.expectRefused(
                "updateOne", ["filter": .document(filter), "update": ["$set": ["a": 1]], "upsert": true],
                mentioning: "over the limit of 100 levels")
            let reply = try await server.expectAccepted(
                "updateOne", ["filter": .document(filter), "update": ["$set": ["a": 1]]])
            #expect(reply["matchedCount"] == .int32(0))
            try await server.expectRefused(
                "updateOne", ["filter": ["list": [1], "list.20000": 1], "update": ["$set": ["a": 1]], "upsert": true],
                mentioning: "over the limit of 10000 (array index)")
        }
    }

    @Test("$set and $inc pad an array to index 10,000 at most")
    func arrayIndex() async throws {
        try await HardeningServer.with { server in
            try await server.expectAccepted("insertOne", ["document": .document(Self.doc)])
            for op in ["$set", "$inc", "$max"] {
                try await server.expectRefused(
                    "updateOne", ["filter": ["_id": "d"], "update": [.init(op): ["list.10001": 1]]],
                    mentioning: "over the limit of 10000 (array index)")
            }
            try await server.expectRefused(
                "updateOne", ["filter": ["_id": "d"], "update": ["$set": ["list.99999999999999999999": 1]]],
                mentioning: "over the limit of 10000 (array index)")
            try await server.expectAccepted(
                "updateOne", ["filter": ["_id": "d"], "update": ["$set": ["list.10000": 1]]])
            let read = try await server.expectAccepted("findOne", ["filter": ["_id": "d"]])
            #expect(read["document"]?.documentValue?["list"]?.arrayValue?.count == 10_001)
        }
    }

    @Test("a $in or $nin list of 10,001 values is refused; 10,000 are accepted")
    func inList() async throws {
        try await HardeningServer.with { server in
            try await server.expectAccepted("insertOne", ["document": .document(Self.doc)])
            let values = (0...10_000).map { BSONValue.int32(Int32($0)) }
            for op in ["$in", "$nin"] {
                try await server.expectRefused(
                    "deleteMany", ["filter": ["list": [.init(op): .array(values)]]],
                    mentioning: "over the limit of 10000 values")
            }
            let reply = try await server.expectAccepted(
                "find", ["filter": ["list": ["$in": .array(Array(values.dropFirst()))]]])
            #expect(reply["documents"]?.arrayValue?.count == 1)
        }
    }

    @Test("a pipeline of 1,001 stages is refused")
    func pipelineStages() async throws {
        try await HardeningServer.with { server in
            let stages = [BSONValue](repeating: ["$match": [:]], count: 1_001)
            try await server.expectRefused(
                "aggregate", ["pipeline": .array(stages)], mentioning: "over the limit of 1000 stages")
            try await server.expectAccepted("aggregate", ["pipeline": .array(Array(stages.dropFirst()))])
        }
    }
}
