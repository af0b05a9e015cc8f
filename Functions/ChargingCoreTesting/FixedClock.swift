import ChargingCore
import Essentials
import Synchronization

/// A clock that only moves when told to, for tests.
public final class FixedClock: WallClock {
    private let now: Mutex<Int64>

    /// Starts at `milliseconds` since the epoch, or at an ISO-8601 timestamp.
    public init(milliseconds: Int64) { now = Mutex(milliseconds) }

    public convenience init(_ timestamp: String) {
        self.init(milliseconds: Timestamp.parseMilliseconds(timestamp) ?? 0)
    }

    public func nowMilliseconds() -> Int64 { now.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(minutes: Int64 = 0, seconds: Int64 = 0) {
        now.withLock { $0 += minutes * 60_000 + seconds * 1000 }
    }
}
