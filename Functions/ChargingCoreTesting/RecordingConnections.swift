import ChargingCore
import Synchronization

/// A ``ConnectionManagement`` that records what is sent, for tests. Connections in `gone` answer like a closed
/// one (410, `post` returns false); `onPost` runs after each delivered message (e.g. to play the charger's answer).
public final class RecordingConnections: ConnectionManagement {
    /// One message sent to a connection.
    public struct Post: Sendable, Hashable {
        public let connectionId: String
        public let data: [UInt8]
        /// The message as text.
        public var text: String { String(decoding: data, as: UTF8.self) }
    }

    private struct State {
        var posts: [Post] = []
        var deleted: [String] = []
        var gone: Set<String>
    }

    private let state: Mutex<State>
    private let onPost: (@Sendable (Post) async throws -> Void)?

    /// Connections in `gone` are closed; `onPost` is called for every message delivered to an open one.
    public init(gone: Set<String> = [], onPost: (@Sendable (Post) async throws -> Void)? = nil) {
        state = Mutex(State(gone: gone))
        self.onPost = onPost
    }

    public func post(connectionId: String, data: [UInt8]) async throws -> Bool {
        let post = Post(connectionId: connectionId, data: data)
        let delivered = state.withLock { state -> Bool in
            guard !state.gone.contains(connectionId) else { return false }
            state.posts.append(post)
            return true
        }
        if delivered, let onPost { try await onPost(post) }
        return delivered
    }

    public func delete(connectionId: String) async throws {
        state.withLock {
            $0.deleted.append(connectionId)
            $0.gone.insert(connectionId)
        }
    }

    /// Every delivered message, in order.
    public var posts: [Post] { state.withLock { $0.posts } }
    /// The connections closed through ``delete(connectionId:)``, in order.
    public var deleted: [String] { state.withLock { $0.deleted } }
}
