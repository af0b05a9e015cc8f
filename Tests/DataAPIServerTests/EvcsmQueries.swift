import BSON
import Foundation

@testable import DataAPIServer

/// The queries evcsm's functions send, written exactly as `Functions/ChargingCore/DataAPISessionStore.swift`
/// builds them (the test target does not depend on ChargingCore).
enum EvcsmQueries {
    static let database = "EVChargingDB"
    static let sessions = "ChargingSessions"
    static let points = "ChargingPoints"
    static let newestFirst: Document = ["startTime": -1, "_id": -1]
    static let currentSort: Document = ["status": 1, "startTime": -1, "_id": -1]

    /// ListSessions' cursor: the last session of the previous page.
    struct Cursor: Hashable {
        let startTime: Int64
        let sessionId: String
    }

    /// `DataAPISessionStore.filter(_:)`.
    static func listFilter(
        chargingPointId: String? = nil, userId: String? = nil, status: String? = nil, from: Int64? = nil,
        to: Int64? = nil, after: Cursor? = nil
    ) -> Document {
        var filter = Document()
        if let chargingPointId { filter["chargingPointId"] = .string(chargingPointId) }
        if let userId { filter["userId"] = .string(userId) }
        if let status { filter["status"] = .string(status) }
        if from != nil || to != nil {
            var range = Document()
            if let from { range["$gte"] = .datetime(from) }
            if let to { range["$lte"] = .datetime(to) }
            filter["startTime"] = .document(range)
        }
        if let after {
            filter["$or"] = [
                ["startTime": ["$lt": .datetime(after.startTime)]],
                ["startTime": .datetime(after.startTime), "_id": ["$lt": .string(after.sessionId)]],
            ]
        }
        return filter
    }

    /// `DataAPISessionStore.findCurrent(chargingPointId:userId:)`'s filter (sorted by ``currentSort``, limit 1): a
    /// driver's GetStatus without a point is `{userId}`.
    static func currentFilter(chargingPointId: String? = nil, userId: String? = nil) -> Document {
        var filter = Document()
        if let chargingPointId { filter["chargingPointId"] = .string(chargingPointId) }
        if let userId { filter["userId"] = .string(userId) }
        return filter
    }

    /// A `find` request body on ChargingSessions.
    static func find(_ filter: Document, sort: Document?, skip: Int = 0, limit: Int) -> Document {
        var body: Document = [
            "dataSource": "mongodb-atlas", "database": .string(database), "collection": .string(sessions),
            "filter": .document(filter), "limit": .int64(Int64(limit)),
        ]
        if let sort { body["sort"] = .document(sort) }
        if skip > 0 { body["skip"] = .int64(Int64(skip)) }
        return body
    }

    /// The command the controller makes of a request body.
    static func command(_ body: Document, action: DataAPIAction = .find) throws -> FindCommand {
        guard case .find(let command, _) = try ActionRequest(action, body).command else {
            throw MongoServerError("not a find: \(body)")
        }
        return command
    }

    static var sessionsNamespace: Namespace { try! Namespace(database: database, collection: sessions) }
    static var pointsNamespace: Namespace { try! Namespace(database: database, collection: points) }
}
