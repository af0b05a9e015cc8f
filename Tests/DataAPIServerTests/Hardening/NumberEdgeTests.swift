import BSON
import Testing

@testable import DataAPIServer

/// NaN, -0.0 and large integers (issue 12): grouping, equality, `$in`, sorting and updates treat them as
/// MongoDB does — NaN equals NaN, -0.0 equals 0, an int64 past 2^53 keeps every digit.
@Suite("Data API number edge cases")
struct NumberEdgeTests {
    static let nan = BSONValue.double(.nan)

    static func seed(_ server: HardeningServer) async throws {
        let values: [BSONValue] = [nan, nan, .double(-0.0), .int32(0), .int32(1), .double(1.0), .int64(1)]
        let documents = values.enumerated().map { i, x in BSONValue.document(["_id": .int32(Int32(i)), "x": x]) }
        try await server.expectAccepted("insertMany", ["documents": .array(documents)])
    }

    @Test("$group on a NaN _id is one group, and does not crash the server")
    func groupNaNLiteral() async throws {
        try await HardeningServer.with { server in
            try await Self.seed(server)
            let reply = try await server.expectAccepted(
                "aggregate", ["pipeline": [["$group": ["_id": Self.nan, "c": ["$sum": 1]]]]])
            let groups = reply["documents"]?.arrayValue?.compactMap(\.documentValue) ?? []
            #expect(groups.count == 1)
            #expect(groups.first?["_id"]?.doubleValue?.isNaN == true)
            #expect(groups.first?["c"] == .int32(7))
        }
    }

    @Test("$group by a field: NaNs together, -0.0 with 0, 1 with 1.0 and NumberLong(1)")
    func groupByField() async throws {
        try await HardeningServer.with { server in
            try await Self.seed(server)
            let reply = try await server.expectAccepted(
                "aggregate",
                ["pipeline": [["$group": ["_id": "$x", "c": ["$sum": 1]]], ["$sort": ["_id": 1]]]])
            let groups = reply["documents"]?.arrayValue?.compactMap(\.documentValue) ?? []
            #expect(groups.map { $0["c"] } == [.int32(2), .int32(2), .int32(3)])
            #expect(groups.first?["_id"]?.doubleValue?.isNaN == true, "NaN sorts below every number")
        }
    }

    @Test("equality, $in and ranges on NaN and -0.0 as in MongoDB; $sort puts NaN first")
    func equalityAndSort() async throws {
        try await HardeningServer.with { server in
            try await Self.seed(server)
            func ids(_ filter: Document) async throws -> [BSONValue] {
                let reply = try await server.expectAccepted("find", ["filter": .document(filter), "sort": ["_id": 1]])
                return reply["documents"]?.arrayValue?.compactMap { $0.documentValue?["_id"] } ?? []
            }
            #expect(try await ids(["x": Self.nan]) == [0, 1])
            #expect(try await ids(["x": ["$in": [Self.nan]]]) == [0, 1])
            #expect(try await ids(["x": ["$nin": [Self.nan, 1]]]) == [2, 3])
            #expect(try await ids(["x": .double(-0.0)]) == [2, 3])
            // As in MongoDB: NaN is neither above nor below a number; $gte/$lte match NaN with NaN.
            #expect(try await ids(["x": ["$gt": Self.nan]]) == [])
            #expect(try await ids(["x": ["$lt": 5]]) == [2, 3, 4, 5, 6])
            #expect(try await ids(["x": ["$gte": Self.nan]]) == [0, 1])
            let sorted = try await server.expectAccepted("find", ["filter": [:], "sort": ["x": 1, "_id": 1]])
            let order = sorted["documents"]?.arrayValue?.compactMap { $0.documentValue?["_id"] } ?? []
            #expect(order == [0, 1, 2, 3, 4, 5, 6])
        }
    }

    @Test("an int64 past 2^53 is not equal to the nearest double")
    func largeIntegers() async throws {
        try await HardeningServer.with { server in
            try await server.expectAccepted(
                "insertMany",
                [
                    "documents": [
                        ["_id": 1, "x": .int64(9_007_199_254_740_993)], ["_id": 2, "x": 9_007_199_254_740_992.0],
                    ]
                ])
            let reply = try await server.expectAccepted("find", ["filter": ["x": .int64(9_007_199_254_740_993)]])
            #expect(reply["documents"]?.arrayValue?.count == 1)
            let groups = try await server.expectAccepted(
                "aggregate", ["pipeline": [["$group": ["_id": "$x", "c": ["$sum": 1]]]]])
            #expect(groups["documents"]?.arrayValue?.count == 2)
        }
    }

    @Test("$set of NaN over NaN modifies nothing; -0.0 over 0 is a change, stored bit for bit")
    func modifiedCount() async throws {
        try await HardeningServer.with { server in
            try await server.expectAccepted(
                "insertMany", ["documents": [["_id": 1, "x": Self.nan], ["_id": 2, "x": .double(0)]]])
            let same = try await server.expectAccepted(
                "updateOne", ["filter": ["_id": 1], "update": ["$set": ["x": Self.nan]]])
            #expect(same["matchedCount"] == .int32(1))
            #expect(same["modifiedCount"] == .int32(0))
            let sign = try await server.expectAccepted(
                "updateOne", ["filter": ["_id": 2], "update": ["$set": ["x": .double(-0.0)]]])
            #expect(sign["modifiedCount"] == .int32(1))
            let stored = try await server.expectAccepted("findOne", ["filter": ["_id": 2]])
            #expect(stored["document"]?.documentValue?["x"]?.doubleValue?.sign == .minus)
        }
    }

    @Test("the comparison order is exact across int64 and double")
    func order() {
        #expect(BSONOrder.compare(.int64(9_007_199_254_740_993), .double(9_007_199_254_740_992)) > 0)
        #expect(BSONOrder.compare(.double(9.3e18), .int64(.max)) > 0)
        #expect(BSONOrder.compare(.double(-9.3e18), .int64(.min)) < 0)
        #expect(BSONOrder.compare(.double(2.5), .int32(2)) > 0)
        #expect(BSONOrder.compare(.double(-2.5), .int32(-2)) < 0)
        #expect(BSONOrder.compare(.double(.nan), .int64(.min)) < 0)
        #expect(BSONOrder.compare(.int32(0), .double(-0.0)) == 0)
        #expect(BSONOrder.compare(.double(.infinity), .int64(.max)) > 0)
    }
}
