import Logging

extension ChargingService {
    /// Stops (`Timeout`) the `Charging` sessions that showed no sign of life for `idleMilliseconds`: whose
    /// `lastActivity` (the arrival of the last applied meter value, else the start) is before now − idle.
    ///
    /// One store query (``SessionStore/idleSessions(before:limit:)``: at most `limit`, oldest first, one indexed
    /// range `{status: Charging, lastActivity: {$lt: cutoff}}`), then a stop of each: the point's lock is freed and
    /// `session/updates` published, as for any stop. A session that a meter value revived since the query is left
    /// alone (the stop re-checks the stored `lastActivity`), one that stopped meanwhile is not counted, and a
    /// session whose stop fails is logged and skipped (the next run takes it again). Returns how many it stopped.
    /// Throws when the query fails.
    public func expireIdle(idleMilliseconds: Int64, limit: Int, logger: Logger) async throws -> Int {
        let cutoff = clock.nowMilliseconds() - max(0, idleMilliseconds)
        let idle = try await store.idleSessions(before: cutoff, limit: max(0, limit))
        let expired = await stopEach(idle, reason: .timeout, logger: logger, if: { $0.lastActivity < cutoff })
        if !idle.isEmpty {
            logger.info(
                "idle sessions expired",
                metadata: ["found": "\(idle.count)", "expired": "\(expired)", "cutoff": "\(cutoff)"])
        }
        return expired
    }

    /// Stops each of `sessions` with `reason` while it still satisfies `condition` (re-checked against the stored
    /// session); a failed stop is logged and skipped (the next run takes it again). Returns how many it stopped.
    func stopEach(
        _ sessions: [ChargingSession], reason: StopReason, logger: Logger, if condition: (ChargingSession) -> Bool
    ) async -> Int {
        var stopped = 0
        for session in sessions {
            do {
                let outcome = try await stop(
                    sessionId: session.sessionId, reason: reason, logger: logger, if: condition)
                if let outcome, !outcome.wasAlreadyStopped { stopped += 1 }
            } catch {
                logger.error(
                    "expiring a session failed; the next run retries it",
                    metadata: [
                        "sessionId": "\(session.sessionId)", "chargingPointId": "\(session.chargingPointId)",
                        "reason": "\(reason.rawValue)", "error": "\(error)",
                    ])
            }
        }
        return stopped
    }
}
