import Logging

extension ChargingService {
    /// Ends the remote starts that no StartTransaction followed within `startTimeoutMilliseconds`: the `Charging`
    /// OCPP sessions without `transactionId` that started before now − timeout
    /// (``SessionStore/pendingRemoteStarts(before:limit:)``, at most `limit`) are completed as `NotStarted` (cost 0,
    /// lock released, `session/updates` published). One that got its transaction since the query is left alone; a
    /// failed stop is logged and skipped (the next run retries it). Returns how many it ended; throws when the query
    /// fails.
    public func expireNotStarted(startTimeoutMilliseconds: Int64, limit: Int, logger: Logger) async throws -> Int {
        let cutoff = clock.nowMilliseconds() - max(0, startTimeoutMilliseconds)
        let pending = try await store.pendingRemoteStarts(before: cutoff, limit: max(0, limit))
        let ended = await stopEach(
            pending, reason: .notStarted, logger: logger, if: { $0.transactionId == nil && $0.startTime < cutoff })
        if !pending.isEmpty {
            logger.info(
                "remote starts without StartTransaction ended",
                metadata: ["found": "\(pending.count)", "ended": "\(ended)", "cutoff": "\(cutoff)"])
        }
        return ended
    }
}
