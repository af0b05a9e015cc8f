import Synchronization

/// Publishes MQTT messages (through the AWS IoT Data Plane in production).
public protocol Publisher: Sendable {
    /// Publishes `payload` on `topic` with QoS 1.
    func publish(topic: String, payload: [UInt8]) async throws
}

/// A ``Publisher`` that keeps every message in memory, for tests.
public final class RecordingPublisher: Publisher {
    /// One published message.
    public struct Message: Sendable, Hashable {
        public let topic: String
        public let payload: [UInt8]
        /// The payload as text.
        public var text: String { String(decoding: payload, as: UTF8.self) }
    }

    private let recorded = Mutex<[Message]>([])
    private let failure: (any Error & Sendable)?

    /// A publisher that records; with `failing`, every publish throws that error instead.
    public init(failing failure: (any Error & Sendable)? = nil) { self.failure = failure }

    public func publish(topic: String, payload: [UInt8]) async throws {
        if let failure { throw failure }
        recorded.withLock { $0.append(Message(topic: topic, payload: payload)) }
    }

    /// Everything published so far, in order.
    public var messages: [Message] { recorded.withLock { $0 } }
}

/// MQTT topics of DESIGN.md §1.
public enum Topics {
    /// Out: published after every session change.
    public static let sessionUpdates = "session/updates"
    /// In: `"Charging"` / `"Stopped"` from screens (functions never publish here).
    public static let chargingUpdates = "charging/updates"

    /// The charging point of a `chargers/{chargingPointId}/meter` topic, or nil for another topic.
    public static func meterChargingPoint(_ topic: String) -> String? {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "chargers", parts[2] == "meter", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }
}
