import ChargingWire
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// ``ChargerCalls`` over the API Gateway management API and the `OcppCalls` collection.
///
/// A call looks up the charger's connection (none → `.chargerNotConnected`), claims the charger's one outstanding
/// call (`.chargerBusy` while another is live), posts `[2, messageId, action, payload]` (410 Gone →
/// `.chargerNotConnected`), then polls the stored call every ``pollInterval`` until OcppMessage records the
/// charger's answer or the timeout passes (`.chargerTimeout`); the call document is removed either way, so a late
/// answer is ignored. A CALLRESULT that breaks the action's confirmation schema comes back as a CALLERROR outcome
/// with the violation's code. ``send(chargePointId:action:payload:)`` claims and posts only: its document goes
/// when the answer arrives, or is taken over once ``sendTimeout`` has passed.
public struct OcppChargerCalls: ChargerCalls {
    /// How often a waiting call reads the store.
    public static let pollInterval: Duration = .milliseconds(75)

    private let connections: any ConnectionManagement
    private let outstanding: any OutstandingCallRecords
    private let chargers: any ChargerStateStore
    private let clock: any WallClock
    private let logger: Logger
    /// How long a call sent without waiting holds its charger.
    public let sendTimeout: Duration
    private let makeMessageId: @Sendable () -> String

    public init(
        connections: any ConnectionManagement, outstanding: any OutstandingCallRecords,
        chargers: any ChargerStateStore, clock: any WallClock, logger: Logger, sendTimeout: Duration = .seconds(10),
        makeMessageId: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.connections = connections
        self.outstanding = outstanding
        self.chargers = chargers
        self.clock = clock
        self.logger = logger
        self.sendTimeout = sendTimeout
        self.makeMessageId = makeMessageId
    }

    public func call(
        chargePointId: String, action: String, payload: OcppJSON, timeout: Duration
    ) async throws
        -> OcppCallOutcome
    {
        let call = try await deliver(
            chargePointId: chargePointId, action: action, payload: payload,
            holding: timeout, awaited: true)
        let waited = ContinuousClock.now
        do {
            while ContinuousClock.now - waited < timeout {
                if let outcome = try await outstanding.outcome(chargePointId: chargePointId, messageId: call.messageId)
                {
                    try await outstanding.remove(chargePointId: chargePointId, messageId: call.messageId)
                    return checked(outcome, of: call)
                }
                try await Task.sleep(for: Self.pollInterval)
            }
        } catch {
            try? await outstanding.remove(chargePointId: chargePointId, messageId: call.messageId)
            throw error
        }
        try await outstanding.remove(chargePointId: chargePointId, messageId: call.messageId)
        logger.warning(
            "charger did not answer in time",
            metadata: ["chargePointId": "\(chargePointId)", "action": "\(action)", "messageId": "\(call.messageId)"])
        throw ChargingError(.chargerTimeout, "charger \(chargePointId) did not answer \(action) within \(timeout)")
    }

    public func send(chargePointId: String, action: String, payload: OcppJSON) async throws {
        _ = try await deliver(
            chargePointId: chargePointId, action: action, payload: payload,
            holding: sendTimeout, awaited: false)
    }

    /// Claims the charger and posts the CALL; the claim is undone when the post does not get through.
    private func deliver(
        chargePointId: String, action: String, payload: OcppJSON, holding: Duration, awaited: Bool
    ) async throws -> OutstandingCall {
        guard let connectionId = try await chargers.connection(chargePointId: chargePointId) else {
            throw Self.notConnected(chargePointId)
        }
        let now = clock.nowMilliseconds()
        let call = OutstandingCall(
            chargePointId: chargePointId, messageId: makeMessageId(), connectionId: connectionId, action: action,
            sentAt: now, deadline: now + Self.milliseconds(holding), awaited: awaited)
        try await outstanding.claim(call)
        let frame = OcppFrame.call(messageId: call.messageId, action: action, payload: payload).serialized()
        let delivered: Bool
        do {
            delivered = try await connections.post(connectionId: connectionId, data: frame)
        } catch {
            try? await outstanding.remove(chargePointId: chargePointId, messageId: call.messageId)
            throw error
        }
        guard delivered else {
            try await outstanding.remove(chargePointId: chargePointId, messageId: call.messageId)
            throw Self.notConnected(chargePointId)
        }
        logger.info(
            "CSMS call sent",
            metadata: [
                "chargePointId": "\(chargePointId)", "action": "\(action)", "messageId": "\(call.messageId)",
                "connectionId": "\(connectionId)",
            ])
        return call
    }

    /// The outcome, or a CALLERROR outcome when the CALLRESULT breaks the action's confirmation schema.
    private func checked(_ outcome: OcppCallOutcome, of call: OutstandingCall) -> OcppCallOutcome {
        guard case .result(let payload) = outcome,
            let violation = OcppSchemas.validate(payload, action: call.action, kind: .confirmation)
        else { return outcome }
        logger.warning(
            "charger answered with an invalid confirmation",
            metadata: [
                "chargePointId": "\(call.chargePointId)", "action": "\(call.action)",
                "violation": "\(violation.description)",
            ])
        return .error(code: violation.code.rawValue, description: violation.description)
    }

    static func notConnected(_ chargePointId: String) -> ChargingError {
        ChargingError(.chargerNotConnected, "charger \(chargePointId) is not connected")
    }

    /// A duration in whole milliseconds.
    public static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
