import FunctionRuntime
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where the charging domain gets "now" from (named so as not to shadow the standard library's `Clock`).
public protocol WallClock: Sendable {
    /// Milliseconds since the epoch.
    func nowMilliseconds() -> Int64
}

/// The real time.
public struct SystemWallClock: WallClock {
    public init() {}
    public func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
