import ChargingCore
import Synchronization

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
