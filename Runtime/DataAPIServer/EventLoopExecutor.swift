import NIOCore
import NIOPosix

/// Runs Swift concurrency's global executor on SwiftNIO's event loops (the singleton group Hummingbird serves
/// on), so a request handler, its actors and the socket writes share threads instead of hopping between the
/// cooperative pool and the event loops on every await.
public enum EventLoopExecutor {
    /// Installs the event loops as the global executor. Call once, first thing in a server's `run()`, before
    /// anything is started; false when the platform does not support it (everything then runs as before).
    @discardableResult
    public static func install() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
