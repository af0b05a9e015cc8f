import BSON
import Foundation
import Testing

@testable import DataAPIServer

/// The result cap (``DataAPILimits/maxResultDocuments``) and the in-memory sort bound
/// (``DataAPILimits/maxInMemorySortDocuments``): past them a 400 naming the bound, never an unbounded
/// response.
@Suite("Data API result cap")
struct ResultCapTests {
    static func body(_ action: DataAPIAction, _ fields: Document) -> Document {
        var body = fields
        body["database"] = "cap"
        body["collection"] = "items"
        return body
    }

    static func refusal(_ action: DataAPIAction, _ fields: Document, on backend: any DocumentBackend) async -> String? {
        do {
            _ = try await ActionRequest(action, body(action, fields)).run(on: backend)
            return nil
        } catch let error as DataAPIError {
            // The message of a 400 InvalidParameter; anything else shows as itself.
            return error.code == .invalidParameter && error.httpStatus == 400 ? error.message : "\(error)"
        } catch {
            return "\(error)"
        }
    }

    @Test("a find limit above the cap is a 400 naming the cap, before the backend is asked")
    func limitAboveCap() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let backend = try SQLiteDocumentBackend(path: directory.path + "/cap.sqlite")
        let message = await Self.refusal(.find, ["filter": [:], "limit": 50_001], on: backend)
        #expect(message?.contains("50000") ?? false, "\(message ?? "accepted")")
        let accepted = await Self.refusal(.find, ["filter": [:], "limit": 50_000], on: backend)
        #expect(accepted == nil)
    }

    @Test("past the cap: find without a limit and aggregate are refused; sorts in memory are bounded")
    func pastTheCap() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let backend = try SQLiteDocumentBackend(path: directory.path + "/cap.sqlite")
        let namespace = try Namespace(database: "cap", collection: "items")
        let count = DataAPILimits.maxResultDocuments + 1
        for start in stride(from: 0, to: count, by: 5000) {
            let documents: [Document] = (start..<min(start + 5000, count)).map { i in
                ["_id": .string(String(format: "d-%06d", i)), "n": .int64(Int64(i % 97))]
            }
            _ = try await backend.insert(InsertCommand(namespace: namespace, documents: documents))
        }
        let find = await Self.refusal(.find, ["filter": [:]], on: backend)
        #expect(find?.contains("50000") ?? false, "\(find ?? "accepted")")
        let aggregate = await Self.refusal(.aggregate, ["pipeline": [["$match": [:]]]], on: backend)
        #expect(aggregate?.contains("50000") ?? false, "\(aggregate ?? "accepted")")
        // Within the cap both answer.
        #expect(await Self.refusal(.find, ["filter": ["n": .int64(3)]], on: backend) == nil)
        #expect(await Self.refusal(.aggregate, ["pipeline": [["$count": "all"]]], on: backend) == nil)
        // A sort no index serves keeps at most 10,000 documents in memory.
        let unindexed = await Self.refusal(.find, ["filter": [:], "sort": ["n": 1], "limit": 5], on: backend)
        #expect(unindexed?.contains("10000") ?? false, "\(unindexed ?? "accepted")")
        #expect(await Self.refusal(.find, ["filter": ["n": .int64(3)], "sort": ["n": 1]], on: backend) == nil)
        // An indexed sort is not bounded: string ids are in the _id index's order.
        let first = try await ActionRequest(.find, Self.body(.find, ["filter": [:], "sort": ["_id": -1], "limit": 2]))
            .run(on: backend)
        #expect(first["documents"]?.arrayValue?.compactMap { $0.documentValue?["_id"] } == ["d-050000", "d-049999"])
    }
}
