#ifndef EVCSM_CCONCURRENCYHOOK_H
#define EVCSM_CCONCURRENCYHOOK_H
/// The address of the Swift runtime's `swift_task_enqueueGlobal_hook` (where Swift concurrency's global executor
/// looks for a replacement), reached by the linker rather than by `dlsym`: a release binary that links the Swift
/// runtime statically keeps the runtime's symbols out of its dynamic symbol table (the toolchain's
/// `--exclude-libs ALL`), so SwiftNIO's own take-over, which looks the hook up with `dlsym`, finds nothing there.
void *_Nullable *_Nonnull evcsm_swift_task_enqueue_global_hook(void);
#endif
