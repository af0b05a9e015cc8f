import CConcurrencyHook
import NIOCore
import NIOPosix
import Synchronization

/// Runs Swift concurrency's global executor on SwiftNIO's singleton event loops (the group Hummingbird serves
/// on), so a request handler, its tasks and its socket writes share threads instead of hopping between the
/// cooperative pool and the event loops on every await.
///
/// SwiftNIO's `NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()` finds
/// the runtime's hook with `dlsym`, which a binary linked with `--static-swift-stdlib` does not export (the
/// toolchain links the runtime with `--exclude-libs ALL`): there it silently changes nothing. This installs the
/// same kind of hook through a C reference the linker resolves, in static and dynamic builds alike.
public enum EventLoopGlobalExecutor {
    private static let installed = Atomic<Bool>(false)

    /// The runtime's signature for the hook: the job, and the default enqueue (unused: every job goes to a loop).
    private typealias Hook = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void

    /// Installs the event loops as the global executor. Call once, first thing in a server's `run()`, before
    /// anything is started. False when it was installed already, or another hook is in place (then everything
    /// runs on the cooperative pool as before).
    @discardableResult
    public static func install() -> Bool {
        guard installed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else {
            return false
        }
        let enqueue: Hook = { job, _ in
            // `any()` is sticky: a job enqueued from one of the loops stays on that loop (no thread switch).
            MultiThreadedEventLoopGroup.singleton.any().executor.enqueue(ExecutorJob(job))
        }
        let slot = evcsm_swift_task_enqueue_global_hook()
        guard slot.pointee == nil else { return false }
        slot.pointee = unsafeBitCast(enqueue, to: UnsafeMutableRawPointer.self)
        return true
    }

}
