import ChargingWire
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The result of a stop: the stored stopped session, and whether it had been stopped before.
public struct StopOutcome: Sendable, Hashable {
    public let session: ChargingSession
    /// True when the session was already stopped (an idempotent repeat).
    public let wasAlreadyStopped: Bool

    public init(session: ChargingSession, wasAlreadyStopped: Bool) {
        self.session = session
        self.wasAlreadyStopped = wasAlreadyStopped
    }
}

/// What a meter value did.
public enum MeterOutcome: Sendable, Hashable {
    /// Energy was recorded; the session goes on.
    case recorded(ChargingSession)
    /// Energy was recorded and reached the target, so the session stopped (`TargetReached`).
    case targetReached(ChargingSession)
    /// Nothing changed: duplicate or out-of-order `seq`, unknown or stopped session, other charging point.
    case ignored
}

/// The charging state machine (`Charging → Stopped`) over a ``SessionStore``, publishing a
/// `session/updates` message after every change. Handlers only decode input and call one of these.
public struct ChargingService: Sendable {
    public let store: any SessionStore
    public let publisher: any Publisher
    public let tariff: Tariff
    public let clock: any WallClock
    public let defaults: ChargingDefaults
    private let makeSessionID: @Sendable () -> String

    /// How many times a stop retries its compare-and-set when meter values keep arriving.
    static let stopAttempts = 8

    public init(
        store: any SessionStore, publisher: any Publisher, tariff: Tariff, clock: any WallClock,
        defaults: ChargingDefaults, makeSessionID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.store = store
        self.publisher = publisher
        self.tariff = tariff
        self.clock = clock
        self.defaults = defaults
        self.makeSessionID = makeSessionID
    }

    /// Starts a session; throws ``ChargingError`` `.chargingPointBusy` when the point is charging already.
    public func start(_ request: StartRequest, logger: Logger) async throws -> (ChargingSession, ChargingEstimate) {
        let estimate = ChargingEstimate(request, defaults: defaults)
        let session = ChargingSession(
            sessionId: makeSessionID(), chargingPointId: request.chargingPointId, userId: request.userId,
            vehicleId: request.vehicleId, startTime: clock.nowMilliseconds(), maxPower: request.maxPower,
            targetCharge: request.targetCharge, targetEnergyWh: estimate.targetEnergyWh, currency: tariff.currency)
        try await store.insert(session)
        logger.info(
            "session started",
            metadata: ["sessionId": "\(session.sessionId)", "chargingPointId": "\(session.chargingPointId)"])
        await publishUpdate(session, logger: logger)
        return (session, estimate)
    }

    /// Stops a session. Idempotent: a stopped session comes back unchanged with `wasAlreadyStopped`.
    /// Throws ``ChargingError`` `.sessionNotFound` for an unknown id.
    public func stop(sessionId: String, reason: StopReason = .requested, logger: Logger) async throws -> StopOutcome {
        for _ in 0..<Self.stopAttempts {
            guard let current = try await store.session(id: sessionId) else {
                throw ChargingError(.sessionNotFound, "session \(sessionId) not found")
            }
            guard current.status == .charging else {
                return StopOutcome(session: current, wasAlreadyStopped: true)
            }
            let stopped = current.stopped(at: clock.nowMilliseconds(), reason: reason, tariff: tariff)
            if try await store.complete(stopped, expectedEnergyWh: current.energyWh) {
                logger.info(
                    "session stopped",
                    metadata: [
                        "sessionId": "\(sessionId)", "reason": "\(reason.rawValue)", "energyWh": "\(stopped.energyWh)",
                    ])
                await publishUpdate(stopped, logger: logger)
                return StopOutcome(session: stopped, wasAlreadyStopped: false)
            }
        }
        throw ChargingError(.storeContention, "session \(sessionId) kept changing; try again")
    }

    /// Stops the `Charging` session of a charging point; nil when it has none.
    public func stopActive(chargingPointId: String, logger: Logger) async throws -> StopOutcome? {
        let active = try await store.list(SessionQuery(chargingPointId: chargingPointId, status: .charging, limit: 1))
        guard let session = active.sessions.first else { return nil }
        return try await stop(sessionId: session.sessionId, logger: logger)
    }

    /// The active session (of a charging point, or of any), else the latest one; nil when there is none.
    public func current(chargingPointId: String?) async throws -> ChargingSession? {
        try await store.current(chargingPointId: chargingPointId)
    }

    /// The session with this id; throws ``ChargingError`` `.sessionNotFound`.
    public func session(id: String) async throws -> ChargingSession {
        guard let session = try await store.session(id: id) else {
            throw ChargingError(.sessionNotFound, "session \(id) not found")
        }
        return session
    }

    /// Applies a batch of meter values (validated by ``MeterReading/parse(_:)``), for example one SQS batch.
    ///
    /// Items are grouped by session and charging point. Per group the readings are taken in `seq` order
    /// (a repeated `seq` counts once) and only the ones that no later reading exceeds in energy are written
    /// (``MeterBatchItem/readingsToWrite(_:)``): each write is guarded by the store (`lastMeterSeq < seq`,
    /// energy `$max`), so the store ends exactly as if every reading had been applied in turn, with one write
    /// per session for a meter that never goes backwards. A session that reaches its target stops
    /// (`TargetReached`) with the batch's energy; every changed session is published once. A group whose store
    /// call fails is reported in ``MeterBatchOutcome/failedItems`` (all its items, so they are retried;
    /// the readings already written are then ignored as duplicates); the other groups are unaffected.
    public func record(batch items: [MeterBatchItem], logger: Logger) async -> MeterBatchOutcome {
        var groups: [MeterBatchItem.Key: [MeterBatchItem]] = [:]
        var order: [MeterBatchItem.Key] = []
        for item in items {
            if groups[item.key] == nil { order.append(item.key) }
            groups[item.key, default: []].append(item)
        }
        var outcome = MeterBatchOutcome()
        for key in order {
            let group = groups[key] ?? []
            do {
                let result = try await record(group: group, key: key, logger: logger)
                // A reading naming another point's session is ignored: it must not hide what happened to the session.
                if result != .ignored || outcome.outcomes[key.sessionId] == nil {
                    outcome.outcomes[key.sessionId] = result
                }
            } catch {
                logger.error(
                    "meter values not recorded; reporting them for retry",
                    metadata: [
                        "sessionId": "\(key.sessionId)", "readings": "\(group.count)", "error": "\(error)",
                    ])
                outcome.failedItems += group.map(\.id)
            }
        }
        return outcome
    }

    private func record(group: [MeterBatchItem], key: MeterBatchItem.Key, logger: Logger) async throws -> MeterOutcome {
        var latest: ChargingSession?
        for reading in MeterBatchItem.readingsToWrite(group.map(\.reading)) {
            guard
                let session = try await store.applyMeterValue(
                    sessionId: key.sessionId, chargingPointId: key.chargingPointId, energyWh: reading.wholeEnergyWh,
                    seq: reading.seq)
            else { continue }
            if session.targetEnergyWh > 0, session.energyWh >= session.targetEnergyWh {
                let outcome = try await stop(sessionId: session.sessionId, reason: .targetReached, logger: logger)
                return .targetReached(outcome.session)
            }
            latest = session
        }
        if let latest {
            await publishUpdate(latest, logger: logger)
            return .recorded(latest)
        }
        // Nothing new. If an earlier attempt recorded energy at the target but failed to stop, stop now (a retried
        // batch is all duplicates, so this is the only place that stop can still happen).
        if let stored = try await store.session(id: key.sessionId), stored.status == .charging,
            stored.chargingPointId == key.chargingPointId, stored.targetEnergyWh > 0,
            stored.energyWh >= stored.targetEnergyWh
        {
            let outcome = try await stop(sessionId: stored.sessionId, reason: .targetReached, logger: logger)
            return .targetReached(outcome.session)
        }
        logger.debug("meter values ignored", metadata: ["sessionId": "\(key.sessionId)", "readings": "\(group.count)"])
        return .ignored
    }

    /// Publishes `session/updates` for `session`. A failed publish is logged, never fatal: the store
    /// already holds the truth and the next change publishes again.
    public func publishUpdate(_ session: ChargingSession, logger: Logger) async {
        let update = SessionUpdate(session, now: clock.nowMilliseconds(), tariff: tariff)
        do {
            try await publisher.publish(topic: Topics.sessionUpdates, payload: try update.encoded())
        } catch {
            logger.error(
                "publishing session/updates failed",
                metadata: ["sessionId": "\(session.sessionId)", "error": "\(error)"])
        }
    }
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

    public init(failedItems: [String] = [], outcomes: [String: MeterOutcome] = [:]) {
        self.failedItems = failedItems
        self.outcomes = outcomes
    }
}
