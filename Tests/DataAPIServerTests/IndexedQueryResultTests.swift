import BSON
import Foundation
import Testing

@testable import DataAPIServer

/// The SQLite backend's index-served results equal a full scan (every document filtered in Swift, sorted
/// with BSONOrder, insertion order on ties) on a generated store: mixed points, users and statuses, equal
/// start times (the `_id` tie-break), and documents whose indexed fields are missing, of another type or
/// arrays.
@Suite("SQLite index-served queries equal a full scan")
struct IndexedQueryResultTests {
    /// A fixed pseudo-random sequence (SplitMix64), so every run generates the same store.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    static let base: Int64 = 1_767_261_600_000

    /// About 3,000 sessions in a shuffled insertion order, plus the odd documents.
    static func generatedStore(odd withOdd: Bool = true) -> [Document] {
        var random = Generator(state: 42)
        var documents = [Document]()
        for i in 0..<3000 {
            let point = "cp-\(random.next(12))"
            documents.append([
                "_id": .string(String(format: "s-%06d", i)), "sessionId": .string(String(format: "s-%06d", i)),
                "chargingPointId": .string(point), "userId": .string("u-\(random.next(7))"),
                "status": random.next(10) == 0 ? "Charging" : "Stopped",
                // Three sessions per minute: equal start times, told apart by _id.
                "startTime": .datetime(base + Int64(i / 3) * 60_000), "energyWh": .int64(Int64(random.next(1000))),
            ])
        }
        for i in stride(from: documents.count - 1, to: 0, by: -1) { documents.swapAt(i, random.next(i + 1)) }
        let odd: [Document] = [
            ["_id": "odd-string-start", "chargingPointId": "cp-1", "status": "Stopped", "startTime": "2026-01-01"],
            ["_id": "odd-missing-start", "chargingPointId": "cp-1", "userId": "u-1", "status": "Stopped"],
            ["_id": "odd-null-start", "chargingPointId": "cp-3", "status": "Charging", "startTime": .null],
            ["_id": "odd-number-start", "chargingPointId": "cp-3", "status": "Stopped", "startTime": .int64(5)],
            ["_id": "odd-min-date", "chargingPointId": "cp-1", "status": "Stopped", "startTime": .datetime(.min)],
            [
                "_id": "odd-array-start", "chargingPointId": "cp-1", "status": "Stopped",
                "startTime": [.datetime(base + 90_000_000), .datetime(base + 5)],
            ],
            [
                "_id": "odd-array-point", "chargingPointId": ["cp-1", "cp-3"], "userId": "u-2", "status": "Charging",
                "startTime": .datetime(base + 7_777_777),
            ],
            [
                "_id": "odd-number-point", "chargingPointId": .int32(1), "status": "Stopped",
                "startTime": .datetime(base),
            ],
            ["_id": "odd-missing-point", "status": "Charging", "startTime": .datetime(base + 60_000)],
            [
                "_id": "odd-array-status", "chargingPointId": "cp-1", "status": ["Charging"],
                "startTime": .datetime(base),
            ],
            ["_id": "odd-missing-status", "chargingPointId": "cp-1", "startTime": .datetime(base + 120_000)],
            ["_id": "odd-null-status", "chargingPointId": "cp-3", "status": .null, "startTime": .datetime(base)],
            [
                "_id": "odd-array-user", "chargingPointId": "cp-3", "userId": ["u-1", "u-2"], "status": "Stopped",
                "startTime": .datetime(base + 3_000_000),
            ],
            ["_id": .int32(7), "chargingPointId": "cp-1", "status": "Stopped", "startTime": .datetime(base + 61_001)],
            [
                "_id": .double(7.5), "chargingPointId": "cp-1", "status": "Charging",
                "startTime": .datetime(base + 61_002),
            ],
            [
                "_id": .objectId(ObjectId()), "chargingPointId": "cp-1", "status": "Stopped",
                "startTime": .datetime(base + 61_003),
            ],
            [
                "_id": "odd-nfc", "chargingPointId": "cp-\u{e9}", "status": "Stopped",
                "startTime": .datetime(base + 61_004),
            ],
            [
                "_id": "odd-nfd", "chargingPointId": "cp-e\u{301}", "status": "Stopped",
                "startTime": .datetime(base + 61_005),
            ],
            [
                "_id": "odd-nul", "chargingPointId": "cp-1\u{0}x", "status": "Stopped",
                "startTime": .datetime(base + 61_006),
            ],
        ]
        guard withOdd else { return documents }
        // The odd ones spread through the insertion order.
        for (k, document) in odd.enumerated() { documents.insert(document, at: (k * 151) % documents.count) }
        return documents
    }

    /// The result the filter, sort, skip and limit give over every document in insertion order.
    static func fullScan(_ documents: [Document], _ body: Document) throws -> [Document] {
        let command = try EvcsmQueries.command(body)
        var result = documents.filter(command.filter.matches)
        if let sort = command.sort { result = sort.sorted(result) }
        return Array(result.dropFirst(command.skip).prefix(command.limit > 0 ? command.limit : .max))
    }

    /// A backend holding ``generatedStore(odd:)``. Without the odd documents every query is answered by
    /// SQL alone (`LIMIT ? OFFSET ?`); with them the other rows are merged in.
    static func withStore(
        odd: Bool = true, _ body: (SQLiteDocumentBackend, [Document]) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let backend = try SQLiteDocumentBackend(path: directory.path + "/store.sqlite")
        let documents = generatedStore(odd: odd)
        for start in stride(from: 0, to: documents.count, by: 500) {
            let batch = Array(documents[start..<min(start + 500, documents.count)])
            _ = try await backend.insert(InsertCommand(namespace: EvcsmQueries.sessionsNamespace, documents: batch))
        }
        try await body(backend, documents)
    }

    static func expectSame(_ backend: SQLiteDocumentBackend, _ documents: [Document], _ body: Document) async throws {
        let found = try await backend.find(try EvcsmQueries.command(body))
        let expected = try fullScan(documents, body)
        #expect(
            found == expected, "\(body)\nfound \(found.map { $0["_id"]! })\nexpected \(expected.map { $0["_id"]! })")
    }

    @Test("ListSessions: points, users, statuses, date ranges and cursors", arguments: [true, false])
    func listSessions(odd: Bool) async throws {
        try await Self.withStore(odd: odd) { backend, documents in
            let cursors: [EvcsmQueries.Cursor?] = [
                nil, .init(startTime: Self.base + 500 * 60_000, sessionId: "s-001501"),
                .init(startTime: Self.base + 61_001, sessionId: "zzz"),
            ]
            for point in [nil, "cp-3", "cp-1"] {
                for user in [nil, "u-2", "u-1"] {
                    for status in [nil, "Charging", "Stopped"] {
                        for ranged in [false, true] {
                            for cursor in cursors {
                                let filter = EvcsmQueries.listFilter(
                                    chargingPointId: point, userId: user, status: status,
                                    from: ranged ? Self.base + 100 * 60_000 : nil,
                                    to: ranged ? Self.base + 800 * 60_000 : nil, after: cursor)
                                let body = EvcsmQueries.find(filter, sort: EvcsmQueries.newestFirst, limit: 21)
                                try await Self.expectSame(backend, documents, body)
                            }
                        }
                    }
                }
            }
        }
    }

    @Test(
        "GetStatus: an active session wins, else the newest, for every point, every user and none",
        arguments: [true, false])
    func getStatus(odd: Bool) async throws {
        try await Self.withStore(odd: odd) { backend, documents in
            let points: [String?] =
                [nil, "cp-1", "cp-3", "cp-\u{e9}", "cp-e\u{301}", "cp-1\u{0}x", "none"]
                + (0..<12).map { "cp-\($0)" }
            let filters =
                points.map { EvcsmQueries.currentFilter(chargingPointId: $0) }
                + ["u-1", "u-2", "u-6", "nobody"].map { EvcsmQueries.currentFilter(userId: $0) }
            for filter in filters {
                for limit in [1, 40] {
                    let body = EvcsmQueries.find(filter, sort: EvcsmQueries.currentSort, limit: limit)
                    try await Self.expectSame(backend, documents, body)
                }
            }
        }
    }

    @Test("filters SQL cannot express, other sorts, skip, no sort, and unbounded limits", arguments: [true, false])
    func otherQueries(odd: Bool) async throws {
        try await Self.withStore(odd: odd) { backend, documents in
            let newest = EvcsmQueries.newestFirst
            let queries: [(Document, Document?, Int, Int)] = [
                ([:], nil, 100, 10),
                ([:], nil, 0, 0),
                (["status": ["$ne": "Stopped"]], newest, 0, 30),
                (["energyWh": ["$gt": .int64(500)]], newest, 5, 40),
                ([:], ["energyWh": -1], 0, 10),
                (["chargingPointId": ["$in": ["cp-1", "cp-2"]]], ["startTime": 1, "_id": 1], 0, 50),
                (["chargingPointId": ["$in": ["cp-1", "cp-2"]]], ["startTime": 1, "_id": 1], 300, 50),
                (["startTime": ["$exists": false]], newest, 0, 0),
                ([:], ["_id": 1], 0, 100),
                ([:], ["_id": -1], 2990, 100),
                ([:], ["status": -1], 0, 100),
                ([:], ["chargingPointId": 1, "startTime": -1], 0, 100),
                (["userId": "u-1"], ["status": 1, "startTime": -1, "_id": -1], 0, 60),
                (["$or": [["status": "Charging"], ["chargingPointId": "cp-1"]]], newest, 0, 0),
                (["chargingPointId": "cp-1", "status": ["$in": ["Charging"]]], nil, 0, 0),
                (["startTime": .datetime(Self.base)], newest, 0, 0),
                (["startTime": ["$lt": .datetime(Self.base + 61_000)]], ["startTime": 1], 0, 0),
                (["_id": ["$gte": "s-002990"]], newest, 0, 0),
                (["_id": ["$lt": "odd"]], ["_id": -1], 0, 20),
                (["sessionId": "s-000007"], nil, 0, 0),
                (["chargingPointId": "cp-1"], ["startTime": -1], 0, 0),
            ]
            for (filter, sort, skip, limit) in queries {
                var body = EvcsmQueries.find(filter, sort: sort, skip: skip, limit: limit)
                if limit == 0 { body["limit"] = nil }
                try await Self.expectSame(backend, documents, body)
            }
        }
    }

    @Test("page 100 by cursor equals walking pages 1…100 and a full scan's slice, also per point")
    func paging() async throws {
        try await Self.withStore { backend, stored in
            // A startTime array matches a cursor's `$lt` through an older element, so it shows up again on
            // later pages (MongoDB's semantics, and the full scan's): leave it out of the walk.
            let odd = try EvcsmQueries.command(EvcsmQueries.find(["_id": "odd-array-start"], sort: nil, limit: 1))
            let deleted = try await backend.delete(
                DeleteCommand(namespace: EvcsmQueries.sessionsNamespace, filter: odd.filter, multi: false))
            #expect(deleted == 1)
            let documents = stored.filter { $0["_id"] != "odd-array-start" }
            for point in [nil, "cp-3"] {
                let everything = try Self.fullScan(
                    documents,
                    EvcsmQueries.find(
                        EvcsmQueries.listFilter(chargingPointId: point), sort: EvcsmQueries.newestFirst, limit: 0))
                // The cursor's `$lt` on a date never reaches documents whose startTime is not a date (they
                // sort after every date, descending).
                let dated = everything.filter { $0["startTime"]?.datetimeValue != nil }
                #expect(dated == Array(everything.prefix(dated.count)))
                var walked = [Document]()
                var cursor: EvcsmQueries.Cursor?
                for page in 1...100 {
                    let filter = EvcsmQueries.listFilter(chargingPointId: point, after: cursor)
                    let found = try await backend.find(
                        try EvcsmQueries.command(EvcsmQueries.find(filter, sort: EvcsmQueries.newestFirst, limit: 21)))
                    let shown = Array(found.prefix(20))
                    #expect(shown == Array(dated.dropFirst((page - 1) * 20).prefix(20)), "page \(page)")
                    walked += shown
                    guard found.count > 20, let last = shown.last, let start = last["startTime"]?.datetimeValue,
                        let id = last["_id"]?.stringValue
                    else { break }
                    cursor = .init(startTime: start, sessionId: id)
                    if page == 99 {
                        // Page 100 by offset, for comparison.
                        let skipped = try await backend.find(
                            try EvcsmQueries.command(
                                EvcsmQueries.find(
                                    EvcsmQueries.listFilter(chargingPointId: point), sort: EvcsmQueries.newestFirst,
                                    skip: 1980, limit: 20)))
                        let next = try await backend.find(
                            try EvcsmQueries.command(
                                EvcsmQueries.find(
                                    EvcsmQueries.listFilter(chargingPointId: point, after: cursor),
                                    sort: EvcsmQueries.newestFirst, limit: 20)))
                        #expect(next == skipped)
                    }
                }
                #expect(walked == Array(dated.prefix(walked.count)))
                #expect(walked.count == (point == nil ? 2000 : dated.count), "\(point ?? "all")")
            }
        }
    }
}
