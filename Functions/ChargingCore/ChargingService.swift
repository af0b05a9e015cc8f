import ChargingWire
import FunctionRuntime
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
    /// The bounds a meter value must satisfy to be applied.
    public let plausibility: MeterPlausibility
    /// Where the `RejectedReadings` metric goes.
    public let metrics: any MetricsEmitter
    /// Makes the id of a new session.
    let makeSessionID: @Sendable () -> String

    /// How many times a stop retries its compare-and-set when meter values keep arriving.
    static let stopAttempts = 8

    public init(
        store: any SessionStore, publisher: any Publisher, tariff: Tariff, clock: any WallClock,
        defaults: ChargingDefaults, plausibility: MeterPlausibility = MeterPlausibility(),
        metrics: any MetricsEmitter = DiscardingMetricsEmitter(),
        makeSessionID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.store = store
        self.publisher = publisher
        self.tariff = tariff
        self.clock = clock
        self.defaults = defaults
        self.plausibility = plausibility
        self.metrics = metrics
        self.makeSessionID = makeSessionID
    }

    /// Starts a session; throws ``ChargingError`` `.chargingPointBusy` when the point (or, with `connectorId`, that
    /// connector of an OCPP charger) is charging already. `idTag` is the OCPP idTag of a remote start.
    public func start(
        _ request: StartRequest, connectorId: Int? = nil, idTag: String? = nil, logger: Logger
    ) async throws -> (ChargingSession, ChargingEstimate) {
        let estimate = ChargingEstimate(request, defaults: defaults)
        let session = ChargingSession(
            sessionId: makeSessionID(), chargingPointId: request.chargingPointId, userId: request.userId,
            vehicleId: request.vehicleId, startTime: clock.nowMilliseconds(), maxPower: request.maxPower,
            targetCharge: request.targetCharge, targetEnergyWh: estimate.targetEnergyWh, currency: tariff.currency,
            tariff: tariff, connectorId: connectorId, idTag: idTag)
        try await store.insert(session)
        logger.info(
            "session started",
            metadata: ["sessionId": "\(session.sessionId)", "chargingPointId": "\(session.chargingPointId)"])
        await publishUpdate(session, logger: logger)
        return (session, estimate)
    }

    /// Stops a session on behalf of `caller`. Idempotent: a stopped session comes back unchanged with
    /// `wasAlreadyStopped`. Throws ``ChargingError`` `.sessionNotFound` for an unknown id, and the same for a session
    /// the caller does not own (a driver's stop of another's session changes nothing and tells nothing).
    public func stop(
        sessionId: String, reason: StopReason = .requested, by caller: Caller = .anonymousOperator, logger: Logger
    ) async throws -> StopOutcome {
        // Without a condition the stop always happens, so there is always an outcome.
        try await stop(sessionId: sessionId, reason: reason, by: caller, logger: logger, if: { _ in true })!
    }

    /// Stops a session that was just read from the store (`session`): the first compare-and-set uses it instead of
    /// reading it again (it fails, and the next attempt reads, when the stored session has changed since).
    /// Otherwise as ``stop(sessionId:reason:by:logger:)``.
    public func stop(
        _ session: ChargingSession, reason: StopReason = .requested, by caller: Caller = .anonymousOperator,
        logger: Logger
    ) async throws -> StopOutcome {
        try await stop(
            sessionId: session.sessionId, reason: reason, by: caller, known: session, logger: logger,
            if: { _ in true })!
    }

    /// Stops a session while it still satisfies `condition` (checked on every compare-and-set attempt against
    /// the stored session); nil when a `Charging` session no longer does. The end time is `endTime` (an OCPP
    /// StopTransaction's own timestamp), else now. `known` is the session as just read, used by the first attempt
    /// instead of a read.
    func stop(
        sessionId: String, reason: StopReason, by caller: Caller = .anonymousOperator, at endTime: Int64? = nil,
        known: ChargingSession? = nil, logger: Logger, if condition: (ChargingSession) -> Bool
    ) async throws -> StopOutcome? {
        var known = known
        for _ in 0..<Self.stopAttempts {
            let read: ChargingSession?
            if let first = known {
                read = first
                known = nil
            } else {
                read = try await store.session(id: sessionId)
            }
            guard let current = read, caller.owns(current) else { throw Self.notFound(sessionId) }
            guard current.status == .charging else {
                return StopOutcome(session: current, wasAlreadyStopped: true)
            }
            guard condition(current) else { return nil }
            let stopped = current.stopped(at: endTime ?? clock.nowMilliseconds(), reason: reason, tariff: tariff)
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

    /// Stops a session named together with its charging point (an MQTT `Stopped`): nil, and nothing changes,
    /// when `chargingPointId` is given and the `Charging` session is on another point.
    public func stop(
        sessionId: String, onChargingPoint chargingPointId: String?, logger: Logger
    ) async throws
        -> StopOutcome?
    {
        try await stop(
            sessionId: sessionId, reason: .requested, logger: logger,
            if: { chargingPointId == nil || $0.chargingPointId == chargingPointId })
    }

    /// Stops the `Charging` session of a charging point; nil when it has none.
    public func stopActive(chargingPointId: String, logger: Logger) async throws -> StopOutcome? {
        let active = try await store.list(SessionQuery(chargingPointId: chargingPointId, status: .charging, limit: 1))
        guard let session = active.sessions.first else { return nil }
        return try await stop(session, logger: logger)
    }

    /// The active session (of a charging point and/or a user, or of any), else the latest one; nil when there is
    /// none.
    public func current(chargingPointId: String?, userId: String? = nil) async throws -> ChargingSession? {
        try await store.current(chargingPointId: chargingPointId, userId: userId)
    }

    /// The session with this id as `caller` may see it; throws ``ChargingError`` `.sessionNotFound` for an unknown id
    /// and, with the same message, for another user's session when the caller is a driver.
    public func session(id: String, visibleTo caller: Caller = .anonymousOperator) async throws -> ChargingSession {
        guard let session = try await store.session(id: id), caller.owns(session) else { throw Self.notFound(id) }
        return session
    }

    /// The 404 of an unknown session, and of one the caller may not see: the same answer, so ids don't leak.
    static func notFound(_ sessionId: String) -> ChargingError {
        ChargingError(.sessionNotFound, "session \(sessionId) not found")
    }

    /// Publishes `session/updates` for `session`. A failed publish is logged, never fatal: the store
    /// already holds the truth and the next change publishes again.
    public func publishUpdate(_ session: ChargingSession, logger: Logger) async {
        let update = SessionUpdate(session, now: clock.nowMilliseconds(), tariff: tariff)
        do {
            try await publisher.publish(topic: Topics.sessionUpdates, payload: try update.payload())
        } catch {
            logger.error(
                "publishing session/updates failed",
                metadata: ["sessionId": "\(session.sessionId)", "error": "\(error)"])
        }
    }
}
