import ChildProcesses
import Logging

// MARK: Exit and stop

extension WorkerProcess {
    /// Time a worker gets to exit after SIGTERM at shutdown before it is SIGKILLed.
    static let stopGrace: Duration = .seconds(5)

    /// Sends `signal` to the worker's process group, so that anything it started goes too.
    func kill(_ signal: Int32) {
        child?.signal(signal)
    }

    /// The process could not be spawned after all: nothing will exit, so whoever waits for that stops waiting.
    func spawnFailed() {
        exited = true
        server?.stop()
        for waiter in exitWaiters { waiter.resume() }
        exitWaiters = []
    }

    func processExited(reason: String) async {
        guard !exited else { return }
        exited = true
        nextWaiter?.resume(returning: nil)
        nextWaiter = nil
        server?.stop()
        if !doomed {
            if ready {
                logger.warning("\(function.logicalId) worker \(number) \(reason)")
            } else {
                logger.error("\(function.logicalId) worker \(number) \(reason) before initialising")
            }
        }
        await onExit(self)
        stopWatchdog()
        if let c = current {
            current = nil
            lostBeforeDelivery = ready && !c.pickedUp
            let outcome: InvocationOutcome =
                ready ? .crashed(reason) : .initFailed(initError ?? "\(reason) before asking for work")
            c.continuation.resume(returning: outcome)
        }
        for waiter in exitWaiters { waiter.resume() }
        exitWaiters = []
    }

    /// Stops the worker and returns when the process is gone: SIGTERM to its process group, SIGKILL after
    /// ``stopGrace`` (the runner calls it once no invocation is in flight).
    func stop() async {
        doomed = true
        nextWaiter?.resume(returning: nil)
        nextWaiter = nil
        guard let child, !exited else {
            server?.stop()
            return
        }
        await child.terminate(grace: Self.stopGrace)
        if !exited { await withCheckedContinuation { exitWaiters.append($0) } }
        server?.stop()
    }
}

extension Logger {
    /// This logger with `stream` metadata (`stdout`, `stderr`) for a child's output lines.
    func stream(_ name: String) -> Logger {
        var logger = self
        logger[metadataKey: "stream"] = "\(name)"
        return logger
    }
}
