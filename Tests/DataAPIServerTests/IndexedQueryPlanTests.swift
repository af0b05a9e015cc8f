import BSON
import Foundation
import Testing

@testable import DataAPIServer

/// `EXPLAIN QUERY PLAN` of every statement the SQLite backend runs for the queries evcsm's functions send:
/// each is an index search, never a table scan, and never a sort step. Fails when a query stops using its
/// index.
@Suite("SQLite query plans of evcsm's queries")
struct IndexedQueryPlanTests {
    static func withBackend(_ body: (SQLiteDocumentBackend) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await body(try SQLiteDocumentBackend(path: directory.path + "/plan.sqlite"))
    }

    /// No scan, no sort step, and the main statement (the first) searches `index` when given.
    static func expectIndexed(_ plan: [String], index: String? = nil, _ query: Document) {
        #expect(!plan.isEmpty)
        #expect(!plan.contains { $0.contains("SCAN documents") }, "\(query)\n\(plan.joined(separator: "\n"))")
        #expect(!plan.contains { $0.contains("TEMP B-TREE FOR ORDER BY") }, "\(query)\n\(plan.joined(separator: "\n"))")
        #expect(plan.contains { $0.contains("SEARCH documents USING") }, "\(query)\n\(plan.joined(separator: "\n"))")
        if let index {
            #expect(
                plan.first?.contains("USING INDEX \(index) ") ?? false, "\(query)\n\(plan.joined(separator: "\n"))")
        }
    }

    @Test("ListSessions: every combination of point, user, status, range and keyset cursor")
    func listSessions() async throws {
        try await Self.withBackend { backend in
            let cursor = EvcsmQueries.Cursor(startTime: 1_767_261_600_000, sessionId: "s-000100")
            for mask in 0..<32 {
                let point = mask & 1 != 0 ? "cp-1" : nil
                let user = mask & 2 != 0 ? "u-1" : nil
                let status = mask & 4 != 0 ? "Stopped" : nil
                let ranged = mask & 8 != 0
                let filter = EvcsmQueries.listFilter(
                    chargingPointId: point, userId: user, status: status,
                    from: ranged ? 1_767_000_000_000 : nil, to: ranged ? 1_768_000_000_000 : nil,
                    after: mask & 16 != 0 ? cursor : nil)
                let body = EvcsmQueries.find(filter, sort: EvcsmQueries.newestFirst, limit: 51)
                let plan = try await backend.queryPlan(try EvcsmQueries.command(body))
                // The index whose equality columns are the filter's (when one has exactly those).
                let expected: String? =
                    switch (point != nil, user != nil, status != nil) {
                    case (false, false, false): "documents_start"
                    case (true, false, false): "documents_point_start"
                    case (false, true, false): "documents_user_start"
                    case (false, false, true): "documents_status"
                    case (true, false, true): "documents_point_status"
                    case (false, true, true): "documents_user_status"
                    default: nil
                    }
                Self.expectIndexed(plan, index: expected, filter)
            }
        }
    }

    @Test("the keyset cursor seeks: the main statement's search bounds startTime")
    func keysetSeeks() async throws {
        try await Self.withBackend { backend in
            let cursor = EvcsmQueries.Cursor(startTime: 1_767_261_600_000, sessionId: "s-000100")
            for point in [nil, "cp-1"] {
                let filter = EvcsmQueries.listFilter(chargingPointId: point, after: cursor)
                let body = EvcsmQueries.find(filter, sort: EvcsmQueries.newestFirst, limit: 51)
                let plan = try await backend.queryPlan(try EvcsmQueries.command(body))
                // `ns=? [AND <point>=?] AND <startTime><?`: the search starts at the cursor.
                #expect(plan.first?.hasSuffix("<expr><?)") ?? false, "\(plan)")
            }
        }
    }

    @Test("GetStatus: {}, {chargingPointId} and a driver's {userId} sorted by status, startTime -1, _id -1, limit 1")
    func getStatus() async throws {
        try await Self.withBackend { backend in
            let cases: [(Document, String)] = [
                (EvcsmQueries.currentFilter(), "documents_status"),
                (EvcsmQueries.currentFilter(chargingPointId: "cp-1"), "documents_point_status"),
                (EvcsmQueries.currentFilter(userId: "u-1"), "documents_user_status"),
            ]
            for (filter, index) in cases {
                let body = EvcsmQueries.find(filter, sort: EvcsmQueries.currentSort, limit: 1)
                Self.expectIndexed(try await backend.queryPlan(try EvcsmQueries.command(body)), index: index, filter)
            }
        }
    }

    @Test("a driver's ListSessions (always by userId): newest first, with status, range and cursor (issue 13)")
    func byUser() async throws {
        try await Self.withBackend { backend in
            let cursor = EvcsmQueries.Cursor(startTime: 1_767_261_600_000, sessionId: "s-000100")
            for mask in 0..<8 {
                let status = mask & 1 != 0 ? "Charging" : nil
                let ranged = mask & 2 != 0
                let filter = EvcsmQueries.listFilter(
                    userId: "u-1", status: status, from: ranged ? 1_767_000_000_000 : nil,
                    to: ranged ? 1_768_000_000_000 : nil, after: mask & 4 != 0 ? cursor : nil)
                let body = EvcsmQueries.find(filter, sort: EvcsmQueries.newestFirst, limit: 51)
                let plan = try await backend.queryPlan(try EvcsmQueries.command(body))
                Self.expectIndexed(
                    plan, index: status == nil ? "documents_user_start" : "documents_user_status", filter)
            }
        }
    }

    @Test("findOne and updateOne by _id (with their conditions) use the _id index")
    func byId() async throws {
        try await Self.withBackend { backend in
            let sessions = EvcsmQueries.sessionsNamespace
            let points = EvcsmQueries.pointsNamespace
            let filters: [(Namespace, Document)] = [
                (sessions, ["_id": "s-1"]),
                (points, ["_id": "cp-1"]),
                (points, ["_id": "cp-1", "activeSessionId": .null]),
                (points, ["_id": "cp-1", "activeSessionId": "s-1"]),
                (sessions, ["_id": "s-1", "status": "Charging", "energyWh": .int64(5)]),
                (
                    sessions,
                    ["_id": "s-1", "chargingPointId": "cp-1", "status": "Charging", "lastMeterSeq": ["$lt": .int64(3)]]
                ),
            ]
            for (namespace, filter) in filters {
                let plan = try await backend.queryPlan(namespace, filter: filter)
                Self.expectIndexed(plan, index: "sqlite_autoindex_documents_1", filter)
            }
            let findOne: Document = [
                "database": .string(EvcsmQueries.database), "collection": "ChargingSessions", "filter": ["_id": "s-1"],
            ]
            let plan = try await backend.queryPlan(try EvcsmQueries.command(findOne, action: .findOne))
            Self.expectIndexed(plan, index: "sqlite_autoindex_documents_1", findOne)
        }
    }

    @Test("a database file of version 1 gets the new indexes, keeps its documents and uses the indexes")
    func migration() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/old.sqlite"
        // The file as the previous release left it: version 1 applied, one session stored.
        try SQLiteSchema.writeVersion1File(
            path: path,
            [(EvcsmQueries.sessionsNamespace, ["_id": "s-1", "userId": "u-1", "startTime": .datetime(5)])])
        let backend = try SQLiteDocumentBackend(path: path)
        let names = try await backend.indexNames()
        for definition in EvcsmIndexes.definitions {
            #expect(names.contains(definition.sqliteName), "\(names)")
        }
        let body = EvcsmQueries.find(["userId": "u-1"], sort: EvcsmQueries.newestFirst, limit: 51)
        Self.expectIndexed(
            try await backend.queryPlan(try EvcsmQueries.command(body)), index: "documents_user_start", body)
        let found = try await backend.find(try EvcsmQueries.command(body))
        #expect(found.map { $0["_id"] } == ["s-1"])
    }
}

/// evcsm's indexes on MongoDB: created at start through `createIndexes`, again on every start.
@Suite("MongoDB indexes")
struct MongoIndexTests {
    @Test("createIndexes creates evcsm's indexes on ChargingSessions, and a second run changes nothing")
    func create() async throws {
        let server = try await MongoServer.start()
        do {
            let backend = try MongoDocumentBackend(uri: server.uri)
            let database = "indexes_\(UInt32.random(in: 0...UInt32.max))"
            let specs = try EvcsmIndexes.specs(database: database)
            #expect(specs.map(\.name).contains("chargingPointId_1_status_1_startTime_-1__id_-1"))
            try await backend.createIndexes(specs)
            try await backend.createIndexes(specs)
            let names = try await backend.indexNames(try Namespace(database: database, collection: "ChargingSessions"))
            for spec in specs { #expect(names.contains(spec.name), "\(names)") }
            #expect(names.contains("_id_"))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
