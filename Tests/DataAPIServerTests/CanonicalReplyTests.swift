import BSON
import Foundation
import Testing

@testable import DataAPIServer

/// The `application/ejson` reply of `find` and `findOne` is spliced from the stored text of the rows SQL
/// selects (``SQLiteDocumentBackend/findCanonical(_:)``): it must be byte for byte the serialization of
/// what ``SQLiteDocumentBackend/find(_:)`` returns, on every path (index-served, merged with the odd rows,
/// filtered or sorted in Swift, `_id` lookups, projections).
@Suite("SQLite canonical replies equal the serialized documents")
struct CanonicalReplyTests {
    static func expectSame(
        _ backend: SQLiteDocumentBackend, _ body: Document, action: DataAPIAction = .find
    )
        async throws
    {
        let command = try EvcsmQueries.command(body, action: action)
        let spliced = try await backend.findCanonical(command)
        let found = try await backend.find(command)
        #expect(spliced.count == found.count, "\(body)")
        #expect(spliced.bytes == SerializedDocuments(found).bytes, "\(body)")
    }

    static func body(_ filter: Document, projection: Document? = nil) -> Document {
        var body: Document = [
            "dataSource": "x", "database": .string(EvcsmQueries.database),
            "collection": .string(EvcsmQueries.sessions), "filter": .document(filter),
        ]
        if let projection { body["projection"] = .document(projection) }
        return body
    }

    @Test("evcsm's queries and other finds, with and without the odd documents", arguments: [true, false])
    func queries(odd: Bool) async throws {
        let base = IndexedQueryResultTests.base
        let after = EvcsmQueries.Cursor(startTime: base + 500 * 60_000, sessionId: "s-001500")
        let bodies: [Document] = [
            EvcsmQueries.find([:], sort: EvcsmQueries.newestFirst, limit: 51),
            EvcsmQueries.find(EvcsmQueries.listFilter(after: after), sort: EvcsmQueries.newestFirst, limit: 51),
            EvcsmQueries.find(
                EvcsmQueries.listFilter(chargingPointId: "cp-1", status: "Stopped", from: base, after: after),
                sort: EvcsmQueries.newestFirst, limit: 21),
            EvcsmQueries.find(
                EvcsmQueries.currentFilter(chargingPointId: "cp-3"), sort: EvcsmQueries.currentSort, limit: 1),
            EvcsmQueries.find(EvcsmQueries.currentFilter(), sort: EvcsmQueries.currentSort, limit: 1),
            EvcsmQueries.find(["status": ["$ne": "Stopped"]], sort: EvcsmQueries.newestFirst, skip: 3, limit: 40),
            EvcsmQueries.find(["energyWh": ["$gt": 990]], sort: ["energyWh": 1], limit: 30),
            EvcsmQueries.find(["_id": ["$in": ["s-000007", "s-000003", "odd-nul", "nope"]]], sort: nil, limit: 10),
            EvcsmQueries.find(["_id": ["$in": ["s-000007", "s-000003"]]], sort: ["_id": 1], limit: 10),
            EvcsmQueries.find(["_id": ["$in": [.int32(7), "s-000003"]]], sort: nil, limit: 10),
            EvcsmQueries.find([:], sort: nil, skip: 2990, limit: 100),
        ]
        try await IndexedQueryResultTests.withStore(odd: odd) { backend, _ in
            for body in bodies { try await Self.expectSame(backend, body) }
            for filter: Document in [["_id": "s-000042"], ["_id": "none"], ["_id": "s-000042", "status": "Stopped"]] {
                try await Self.expectSame(backend, Self.body(filter), action: .findOne)
            }
            try await Self.expectSame(
                backend, Self.body(["_id": "s-000042"], projection: ["status": 1]), action: .findOne)
        }
    }

    @Test("stored text of every value type is returned exactly as serialized")
    func valueTypes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let backend = try SQLiteDocumentBackend(path: directory.path + "/store.sqlite")
        let document: Document = [
            "_id": "typed", "int32": .int32(.min), "int64": .int64(.max), "double": .double(-0.0),
            "nan": .double(.nan), "inf": .double(-.infinity), "small": .double(.leastNonzeroMagnitude),
            "big": .double(1.7e308),
            "date": .datetime(-1), "oid": .objectId(ObjectId()), "text": "quote \" slash \\ tab \t nul \u{0} é 🙂",
            "nested": ["a": [.null, .bool(true), ["b": .double(0.1)]]], "empty": .document([:]), "none": .array([]),
        ]
        _ = try await backend.insert(InsertCommand(namespace: EvcsmQueries.sessionsNamespace, documents: [document]))
        let command = try EvcsmQueries.command(Self.body(["_id": "typed"]), action: .findOne)
        let spliced = try await backend.findCanonical(command)
        #expect(spliced.count == 1)
        #expect(spliced.bytes == ExtendedJSON.serializeBytes(.document(document), mode: .canonical))
    }
}
