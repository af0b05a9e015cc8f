#include "CConcurrencyHook.h"

/// Defined by libswift_Concurrency (a shared library in debug builds, an archive in static release builds).
extern void *swift_task_enqueueGlobal_hook;

void *_Nullable *_Nonnull evcsm_swift_task_enqueue_global_hook(void) { return &swift_task_enqueueGlobal_hook; }
