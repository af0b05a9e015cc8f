import BSON
import Foundation
import Testing

@testable import DataAPIServer

/// The `ExpireSessions` query (`DataAPISessionStore.findIdle`): `{status: Charging, lastActivity: {$lt: cutoff}}`
/// sorted `{lastActivity: 1, _id: 1}`, served by `documents_status_activity` without a scan or a sort step, and
/// finding exactly the idle `Charging` sessions.
@Suite("SQLite query plan of the idle-sessions query")
struct IdleSessionsQueryPlanTests {
    static let filter: Document = ["status": "Charging", "lastActivity": ["$lt": .datetime(1_767_261_600_000)]]
    static let sort: Document = ["lastActivity": 1, "_id": 1]

    @Test("an index search on (status, lastActivity, _id), no scan, no sort step")
    func plan() async throws {
        try await IndexedQueryPlanTests.withBackend { backend in
            let body = EvcsmQueries.find(Self.filter, sort: Self.sort, limit: 100)
            let plan = try await backend.queryPlan(try EvcsmQueries.command(body))
            IndexedQueryPlanTests.expectIndexed(plan, index: "documents_status_activity", Self.filter)
            // `ns=? AND status=? AND lastActivity<?`: the search is bounded by the cutoff.
            #expect(plan.first?.hasSuffix("<expr><?)") ?? false, "\(plan)")
        }
    }

    @Test("finds the Charging sessions idle before the cutoff, oldest first, and nothing else")
    func results() async throws {
        try await IndexedQueryPlanTests.withBackend { backend in
            let namespace = EvcsmQueries.sessionsNamespace
            let cutoff: Int64 = 1_767_261_600_000
            let documents: [Document] = [
                ["_id": "late", "status": "Charging", "lastActivity": .datetime(cutoff - 1)],
                ["_id": "early", "status": "Charging", "lastActivity": .datetime(cutoff - 60_000)],
                ["_id": "fresh", "status": "Charging", "lastActivity": .datetime(cutoff)],
                ["_id": "stopped", "status": "Stopped", "lastActivity": .datetime(cutoff - 60_000)],
                ["_id": "old", "status": "Charging"],
            ]
            _ = try await backend.insert(InsertCommand(namespace: namespace, documents: documents))
            let body = EvcsmQueries.find(Self.filter, sort: Self.sort, limit: 100)
            let found = try await backend.find(try EvcsmQueries.command(body))
            #expect(found.map { $0["_id"] } == ["early", "late"])
        }
    }
}
