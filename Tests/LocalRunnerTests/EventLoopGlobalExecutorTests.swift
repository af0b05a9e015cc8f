import CConcurrencyHook
import Glibc
import Testing

/// The hook ``EventLoopGlobalExecutor`` writes is the Swift runtime's own: in this (dynamically linked) test
/// binary `dlsym` finds it too, at the same address. A release binary links the runtime statically and has no
/// dynamic symbol for it, which is why the installer does not look it up with `dlsym`.
@Suite("EventLoopGlobalExecutor")
struct EventLoopGlobalExecutorTests {
    @Test("the C reference reaches the runtime's swift_task_enqueueGlobal_hook")
    func hookAddress() throws {
        let looked = try #require(dlsym(dlopen(nil, RTLD_NOW), "swift_task_enqueueGlobal_hook"))
        #expect(UnsafeMutableRawPointer(evcsm_swift_task_enqueue_global_hook()) == looked)
    }
}
