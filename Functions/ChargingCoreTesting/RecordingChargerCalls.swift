import ChargingCore
import ChargingWire
import Synchronization

/// A ``ChargerCalls`` with scripted answers that records every call, for tests.
public final class RecordingChargerCalls: ChargerCalls {
    /// One call made (or sent without waiting).
    public struct Call: Sendable, Hashable {
        public let chargePointId: String
        public let action: String
        public let payload: OcppJSON
        /// False for ``ChargerCalls/send(chargePointId:action:payload:)``.
        public let awaited: Bool
        /// The timeout `call` was given; nil for `send`.
        public let timeout: Duration?
    }

    /// How the scripted charger answers an action.
    public enum Answer: Sendable {
        case outcome(OcppCallOutcome)
        /// The call throws this (`.chargerNotConnected`, `.chargerBusy`, `.chargerTimeout`, …).
        case failure(ChargingError)

        /// `{"status": "Accepted"}`.
        public static let accepted = Answer.outcome(.result(["status": "Accepted"]))
        /// `{"status": "Rejected"}`.
        public static let rejected = Answer.outcome(.result(["status": "Rejected"]))
    }

    private struct State {
        var calls: [Call] = []
        var answers: [String: Answer]
    }

    private let state: Mutex<State>
    private let fallback: Answer
    private let onCall: (@Sendable (Call) async throws -> Void)?

    /// Answers each action from `answers`, else with `fallback`. `onCall` runs before the answer (or the
    /// failure) is returned, e.g. to play the StopTransaction that a RemoteStopTransaction leads to.
    public init(
        answers: [String: Answer] = [:], fallback: Answer = .accepted,
        onCall: (@Sendable (Call) async throws -> Void)? = nil
    ) {
        state = Mutex(State(answers: answers))
        self.fallback = fallback
        self.onCall = onCall
    }

    /// Changes the answer to `action`.
    public func answer(_ action: String, with answer: Answer) { state.withLock { $0.answers[action] = answer } }

    public func call(
        chargePointId: String, action: String, payload: OcppJSON, timeout: Duration
    ) async throws
        -> OcppCallOutcome
    {
        let call = Call(chargePointId: chargePointId, action: action, payload: payload, awaited: true, timeout: timeout)
        return try await answer(call)
    }

    public func send(chargePointId: String, action: String, payload: OcppJSON) async throws {
        _ = try await answer(
            Call(chargePointId: chargePointId, action: action, payload: payload, awaited: false, timeout: nil))
    }

    private func answer(_ call: Call) async throws -> OcppCallOutcome {
        let answer = state.withLock { state -> Answer in
            state.calls.append(call)
            return state.answers[call.action] ?? fallback
        }
        if let onCall { try await onCall(call) }
        switch answer {
        case .failure(let error): throw error
        case .outcome(let outcome): return outcome
        }
    }

    /// Every call so far, in order.
    public var calls: [Call] { state.withLock { $0.calls } }
}
