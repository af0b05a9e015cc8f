import BSON
import DataAPI

extension DataAPISessionStore {
    /// The most operations one `bulkWrite` of meter values carries (the Data API's own bound, and the SQS batch
    /// size of MeterValues in template.yaml).
    static let meterWritesPerRequest = 100

    /// The meter values' guarded updates (``meterUpdate(_:)``) in `bulkWrite`s, then one `find` of the sessions they
    /// changed. A write the Data API refuses fails alone: the ones after it are sent again in the next request. A
    /// request that fails as a whole fails its writes (they may have happened: a retry of their readings then
    /// counts them once, as duplicates), and so does a failed read-back.
    func applyMeterReadings(_ writes: [MeterValueWrite]) async -> [MeterWriteResult] {
        var results = [MeterWriteResult?](repeating: nil, count: writes.count)
        var changed: [Int] = []
        var pending = writes.indices[...]
        while !pending.isEmpty {
            let sent = pending.prefix(Self.meterWritesPerRequest)
            let outcome: BulkWriteResult
            do {
                outcome = try client.bulkWrite(sent.map { Self.meterUpdate(writes[$0]) })
            } catch {
                for index in pending { results[index] = .failed(error.debugDescription) }
                break
            }
            for (index, result) in zip(sent, outcome.results) {
                if case .updated(let update) = result, update.matchedCount > 0 {
                    changed.append(index)
                } else {
                    results[index] = .applied(nil)
                }
            }
            let answered = sent.startIndex + outcome.results.count
            if let failure = outcome.writeError, answered < sent.endIndex {
                results[answered] = .failed(failure.error.debugDescription)
                pending = pending[(answered + 1)...]
            } else if answered < sent.endIndex {
                for index in sent[answered...] { results[index] = .failed("bulkWrite: no result for this write") }
                pending = pending[sent.endIndex...]
            } else {
                pending = pending[sent.endIndex...]
            }
        }
        if !changed.isEmpty {
            do {
                let found = try await findSessions(ids: changed.map { writes[$0].sessionId })
                for index in changed { results[index] = .applied(found[writes[index].sessionId]) }
            } catch {
                let message = (error as? DataAPIError)?.debugDescription ?? "\(error)"
                for index in changed { results[index] = .failed(message) }
            }
        }
        return results.map { $0 ?? .failed("no result") }
    }

    /// One `find` `{_id: {$in: ids}}` (a `findOne` for a single id); unreadable documents are logged and left out.
    func findSessions(ids: [String]) async throws -> [String: ChargingSession] {
        var unique: [String] = []
        var seen = Set<String>()
        for id in ids where seen.insert(id).inserted { unique.append(id) }
        if unique.count == 1, let id = unique.first {
            return try await findSession(id: id).map { [id: $0] } ?? [:]
        }
        guard !unique.isEmpty else { return [:] }
        let found = try client.find(
            Self.sessionsCollection, filter: ["_id": ["$in": .array(unique.map { .string($0) })]],
            limit: unique.count, fields: StoredSessionField.extendedJSONFields)
        var sessions: [String: ChargingSession] = [:]
        for session in found.storedSessions.compactMap(readable) { sessions[session.sessionId] = session }
        return sessions
    }
}
