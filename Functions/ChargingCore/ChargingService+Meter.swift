import ChargingWire
import FunctionRuntime
import Logging

extension ChargingService {
    /// Applies a batch of meter values (decoded by ``MeterReading/parse(_:)``), for example one SQS batch.
    ///
    /// Items are grouped by session and charging point. Per group the session is read once; readings for an
    /// unknown or stopped session or another point's session are ignored, readings not newer than its
    /// `lastMeterSeq` are duplicates, and the newer ones must be plausible (``MeterPlausibility``, on the
    /// injected clock): the others are rejected (logged at warning, added to the session's `rejectedReadings`,
    /// and reported as the `RejectedReadings` metric, once per batch). Of the plausible readings, taken in `seq`
    /// order (a repeated `seq` counts once), only the ones that no later reading exceeds in energy are written
    /// (``MeterBatchItem/readingsToWrite(_:)``): each write is guarded by the store (`lastMeterSeq < seq`,
    /// energy `$max`), so the store ends exactly as if every reading had been applied in turn, with one write
    /// per session for a meter that never goes backwards. A session at its target stops (`TargetReached`),
    /// also when an earlier attempt wrote the energy but failed to stop (a retry, or any later batch, completes
    /// the stop; a stop is idempotent, so it is published and priced once); every changed session is published
    /// once. A group whose store call fails is reported in ``MeterBatchOutcome/failedItems`` (all its items, so
    /// they are retried; the readings already written are then ignored as duplicates); the other groups are
    /// unaffected.
    public func record(batch items: [MeterBatchItem], logger: Logger) async -> MeterBatchOutcome {
        var groups: [MeterBatchItem.Key: [MeterBatchItem]] = [:]
        var order: [MeterBatchItem.Key] = []
        for item in items {
            if groups[item.key] == nil { order.append(item.key) }
            groups[item.key, default: []].append(item)
        }
        var outcome = MeterBatchOutcome()
        await record(order, groups, into: &outcome, logger: logger)
        if outcome.rejectedReadings > 0 {
            metrics.emit([MetricValue(Self.rejectedReadingsMetric, Double(outcome.rejectedReadings))])
        }
        return outcome
    }

    /// The name of the metric counting rejected meter values.
    public static let rejectedReadingsMetric = "RejectedReadings"

    /// The batch's sessions are read with one store call (``SessionStore/sessions(ids:)``). When several groups
    /// have one reading to write (a meter that never goes backwards), those are written together
    /// (``SessionStore/applyMeterValues(_:)``); every other group writes its readings one by one.
    private func record(
        _ order: [MeterBatchItem.Key], _ groups: [MeterBatchItem.Key: [MeterBatchItem]],
        into outcome: inout MeterBatchOutcome, logger: Logger
    ) async {
        let stored: [String: ChargingSession]
        do {
            stored = try await store.sessions(ids: order.map(\.sessionId))
        } catch {
            for key in order { outcome.fail(groups[key] ?? [], key: key, error: "\(error)", logger: logger) }
            return
        }
        var together: [(MeterBatchItem.Key, PreparedMeterGroup)] = []
        var alone: [(MeterBatchItem.Key, PreparedMeterGroup)] = []
        for key in order {
            guard let prepared = prepare(groups[key] ?? [], key: key, stored: stored[key.sessionId], logger: logger)
            else {
                outcome.note(.ignored, key: key)
                continue
            }
            if prepared.writes.count == 1 { together.append((key, prepared)) } else { alone.append((key, prepared)) }
        }
        if together.count < 2 {
            alone += together
            together = []
        }
        for (key, prepared) in alone {
            do {
                let latest = try await writeOneByOne(prepared)
                await settle(key, prepared, latest: latest, groups, into: &outcome, logger: logger)
            } catch {
                outcome.fail(groups[key] ?? [], key: key, error: "\(error)", logger: logger)
            }
        }
        guard !together.isEmpty else { return }
        let results = await store.applyMeterValues(together.map { _, prepared in prepared.write(prepared.writes[0]) })
        for ((key, prepared), result) in zip(together, results) {
            switch result {
            case .failed(let message): outcome.fail(groups[key] ?? [], key: key, error: message, logger: logger)
            case .applied(let latest):
                await settle(key, prepared, latest: latest, groups, into: &outcome, logger: logger)
            }
        }
    }

    /// ``conclude(_:latest:logger:)`` for a group whose writes are done, noted in `outcome` (or its items reported for
    /// retry).
    private func settle(
        _ key: MeterBatchItem.Key, _ prepared: PreparedMeterGroup, latest: ChargingSession?,
        _ groups: [MeterBatchItem.Key: [MeterBatchItem]], into outcome: inout MeterBatchOutcome, logger: Logger
    ) async {
        do {
            outcome.note(try await conclude(prepared, latest: latest, logger: logger), prepared, key: key)
        } catch {
            outcome.fail(groups[key] ?? [], key: key, error: "\(error)", logger: logger)
        }
    }

    /// The readings of one group to write, or nil (and a debug line) when the group is ignored: an unknown or
    /// stopped session, another point's session, or an OCPP session (metered by its charger's MeterValues over
    /// OCPP only). Readings not newer than the stored `lastMeterSeq` are duplicates (the store would ignore them),
    /// except a negative `seq`, which is out of bounds; the newer ones must be plausible.
    private func prepare(
        _ group: [MeterBatchItem], key: MeterBatchItem.Key, stored: ChargingSession?, logger: Logger
    ) -> PreparedMeterGroup? {
        guard let stored, stored.status == .charging, stored.chargingPointId == key.chargingPointId,
            stored.connectorId == nil
        else {
            logger.debug(
                "meter values ignored", metadata: ["sessionId": "\(key.sessionId)", "readings": "\(group.count)"])
            return nil
        }
        let now = clock.nowMilliseconds()
        var plausible: [MeterReading] = []
        var rejected = 0
        for reading in group.map(\.reading) where reading.seq > stored.lastMeterSeq || reading.seq < 0 {
            if let reason = plausibility.rejection(of: reading, session: stored, now: now) {
                rejected += 1
                logger.warning(
                    "meter value rejected",
                    metadata: [
                        "sessionId": "\(key.sessionId)", "chargingPointId": "\(key.chargingPointId)",
                        "seq": "\(reading.seq)", "reason": "\(reason)",
                    ])
            } else {
                plausible.append(reading)
            }
        }
        return PreparedMeterGroup(
            stored: stored, writes: MeterBatchItem.readingsToWrite(plausible), rejected: rejected, receivedAt: now)
    }

    /// Writes a group's readings in turn, up to one that reaches the target; the session after the last applied.
    private func writeOneByOne(_ prepared: PreparedMeterGroup) async throws -> ChargingSession? {
        var latest: ChargingSession?
        for reading in prepared.writes {
            let write = prepared.write(reading)
            guard
                let session = try await store.applyMeterValue(
                    sessionId: write.sessionId, chargingPointId: write.chargingPointId, energyWh: write.energyWh,
                    seq: write.seq, receivedAt: write.receivedAt)
            else { continue }
            latest = session
            if session.reachedTarget { break }
        }
        return latest
    }

    /// After a group's writes: the stop at the target, else the publish of the changed session; then the rejected
    /// readings are counted (last: when anything before fails the group is retried, and nothing was counted yet).
    private func conclude(
        _ prepared: PreparedMeterGroup, latest: ChargingSession?, logger: Logger
    ) async throws -> MeterOutcome {
        let stored = prepared.stored
        let outcome: MeterOutcome
        // Also when nothing new was written: an earlier attempt may have recorded the energy at the target and
        // failed to stop (a retried batch is all duplicates, so this is where that stop still happens).
        if (latest ?? stored).reachedTarget {
            outcome = .targetReached(try await stop(latest ?? stored, reason: .targetReached, logger: logger).session)
        } else if let latest {
            await publishUpdate(latest, logger: logger)
            outcome = .recorded(latest)
        } else {
            logger.debug("meter values ignored", metadata: ["sessionId": "\(stored.sessionId)"])
            outcome = .ignored
        }
        if prepared.rejected > 0 {
            try await store.countRejectedReadings(
                sessionId: stored.sessionId, chargingPointId: stored.chargingPointId, count: Int64(prepared.rejected))
        }
        return outcome
    }
}

/// One group of a meter batch, read and checked: what to write.
private struct PreparedMeterGroup {
    let stored: ChargingSession
    /// ``MeterBatchItem/readingsToWrite(_:)`` of the plausible readings.
    let writes: [MeterReading]
    let rejected: Int
    let receivedAt: Int64

    func write(_ reading: MeterReading) -> MeterValueWrite {
        MeterValueWrite(
            sessionId: stored.sessionId, chargingPointId: stored.chargingPointId, energyWh: reading.wholeEnergyWh,
            seq: reading.seq, receivedAt: receivedAt)
    }
}

extension MeterBatchOutcome {
    /// Records what a group did. A reading naming another point's session is ignored: it must not hide what
    /// happened to the session.
    fileprivate mutating func note(
        _ result: MeterOutcome, _ prepared: PreparedMeterGroup? = nil, key: MeterBatchItem.Key
    ) {
        rejectedReadings += prepared?.rejected ?? 0
        if result != .ignored || outcomes[key.sessionId] == nil { outcomes[key.sessionId] = result }
    }

    /// Reports a group's items for retry.
    fileprivate mutating func fail(_ group: [MeterBatchItem], key: MeterBatchItem.Key, error: String, logger: Logger) {
        logger.error(
            "meter values not recorded; reporting them for retry",
            metadata: ["sessionId": "\(key.sessionId)", "readings": "\(group.count)", "error": "\(error)"])
        failedItems += group.map(\.id)
    }
}

extension ChargingSession {
    /// A `Charging` session whose energy reached its (positive) target.
    var reachedTarget: Bool { status == .charging && targetEnergyWh > 0 && energyWh >= targetEnergyWh }
}

/// One meter value of a batch: the reading, the charging point of its topic, and the id that names it in a
/// partial batch response (an SQS `messageId`).
public struct MeterBatchItem: Sendable, Hashable {
    public var id: String
    public var chargingPointId: String
    public var reading: MeterReading

    public init(id: String, chargingPointId: String, reading: MeterReading) {
        self.id = id
        self.chargingPointId = chargingPointId
        self.reading = reading
    }

    /// The readings of one session on one charging point are applied together.
    struct Key: Hashable {
        var sessionId: String
        var chargingPointId: String
    }

    var key: Key { Key(sessionId: reading.sessionId, chargingPointId: chargingPointId) }

    /// Of one session's readings, those whose writes leave the store as applying all of them in `seq` order would:
    /// sorted by `seq` (the first of a repeated `seq` wins, as it would have been applied first), keeping a reading
    /// only when its energy is above that of every later one. The last reading is always kept (it sets
    /// `lastMeterSeq`); for a meter that never goes backwards it is the only one.
    ///
    /// Why it is exact: whatever `lastMeterSeq` the store holds, the readings it accepts are a suffix of the sorted
    /// list, and the highest energy in any suffix belongs to a kept reading of that suffix.
    public static func readingsToWrite(_ readings: [MeterReading]) -> [MeterReading] {
        var seen = Set<Int64>()
        let sorted = readings.enumerated()
            .sorted { $0.element.seq != $1.element.seq ? $0.element.seq < $1.element.seq : $0.offset < $1.offset }
            .map(\.element)
            .filter { seen.insert($0.seq).inserted }
        var kept: [MeterReading] = []
        var laterMax = Int64.min
        for reading in sorted.reversed() where reading.wholeEnergyWh > laterMax {
            kept.append(reading)
            laterMax = reading.wholeEnergyWh
        }
        return kept.reversed()
    }
}

/// What ``ChargingService/record(batch:logger:)`` did.
public struct MeterBatchOutcome: Sendable, Hashable {
    /// Ids of the items whose store write failed: retry these.
    public var failedItems: [String] = []
    /// What happened to each session of the batch, by session id.
    public var outcomes: [String: MeterOutcome] = [:]
    /// Readings refused as implausible (``MeterPlausibility``).
    public var rejectedReadings = 0

    public init(failedItems: [String] = [], outcomes: [String: MeterOutcome] = [:]) {
        self.failedItems = failedItems
        self.outcomes = outcomes
    }
}
