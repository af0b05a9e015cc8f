import ChildProcesses
import Foundation
import Logging

// MARK: Start, exit and stop

extension WorkerProcess {
    /// Time a worker gets to exit after SIGTERM at shutdown before it is SIGKILLed.
    static let stopGrace: Duration = .seconds(5)

    /// Starts the Runtime API server and the process.
    func start() async throws(LocalRunnerError) {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw LocalRunnerError(.functionBinary, "no executable for \(function.logicalId) at \(binary)")
        }
        let server = try await RuntimeAPIServer.start(endpoint: self, logger: logger)
        var env = environment
        env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(server.port)"
        let output = EmbeddedMetrics.workerOutput(
            logger: logger.stream("stdout"), function: function.logicalId, metrics: metrics)
        let started = state.withLock { s -> Swift.Result<ChildProcess, LocalRunnerError> in
            s.server = server
            // stop() may have run while the server was starting (shutdown racing a first use or a replacement):
            // starting the process now would leave it running after the runner has stopped its workers.
            guard !s.doomed else {
                return .failure(
                    LocalRunnerError(.process, "worker \(number) of \(function.logicalId) was stopped while starting"))
            }
            s.spawnedAt = .now
            do throws(ChildProcessError) {
                let child = try ChildProcess.start(
                    binary, environment: env, inheritEnvironment: false,
                    workingDirectory: URL(fileURLWithPath: binary).deletingLastPathComponent().path,
                    output: output, error: .log(logger.stream("stderr"), prefix: function.logicalId))
                s.child = child
                return .success(child)
            } catch {
                return .failure(
                    LocalRunnerError(.functionBinary, "cannot start \(binary): \(error.message)", underlying: error))
            }
        }
        let child: ChildProcess
        switch started {
        case .success(let c): child = c
        case .failure(let error):
            server.stop()
            throw error
        }
        let pid: Int32
        do {
            pid = try await child.spawned()
        } catch {
            spawnFailed()
            throw LocalRunnerError(.functionBinary, "cannot start \(binary): \(error.message)", underlying: error)
        }
        Task { [weak self] in
            let termination = try? await child.waitForExit()
            await self?.processExited(reason: termination?.description ?? "was lost")
        }
        logger.debug("worker started", metadata: ["pid": "\(pid)"])
    }

    /// Sends `signal` to the worker's process group, so that anything it started goes too.
    func kill(_ signal: Int32) {
        state.withLock { $0.child }?.signal(signal)
    }

    /// The process could not be spawned after all: nothing will exit, so whoever waits for that stops waiting.
    func spawnFailed() {
        let (server, waiters) = state.withLock { s in
            s.exited = true
            defer { s.exitWaiters = [] }
            return (s.server, s.exitWaiters)
        }
        server?.stop()
        for waiter in waiters { waiter.resume() }
    }

    func processExited(reason: String) async {
        let seen = state.withLock {
            s -> (waiter: (@Sendable (PendingInvocation?) -> Void)?, ready: Bool, doomed: Bool)? in
            guard !s.exited else { return nil }
            s.exited = true
            defer { s.nextWaiter = nil }
            return (s.nextWaiter, s.ready, s.doomed)
        }
        guard let seen else { return }
        seen.waiter?(nil)
        stopServer()
        if !seen.doomed {
            if seen.ready {
                logger.warning("\(function.logicalId) worker \(number) \(reason)")
            } else {
                logger.error("\(function.logicalId) worker \(number) \(reason) before initialising")
            }
        }
        await onExit(self)
        let (current, outcome, waiters) = state.withLock {
            s -> (Current?, InvocationOutcome, [CheckedContinuation<Void, Never>]) in
            s.watchdog?.cancel()
            s.watchdog = nil
            s.watchdogWake = nil
            let current = s.current
            s.current = nil
            if let current { s.lostBeforeDelivery = s.ready && !current.pickedUp }
            let outcome: InvocationOutcome =
                s.ready ? .crashed(reason) : .initFailed(s.initError ?? "\(reason) before asking for work")
            defer { s.exitWaiters = [] }
            return (current, outcome, s.exitWaiters)
        }
        current?.continuation.resume(returning: outcome)
        for waiter in waiters { waiter.resume() }
    }

    func stopServer() {
        state.withLock { $0.server }?.stop()
    }

    /// Stops the worker and returns when the process is gone: SIGTERM to its process group, SIGKILL after
    /// ``stopGrace`` (the runner calls it once no invocation is in flight).
    func stop() async {
        let (waiter, child, exited) = state.withLock { s in
            s.doomed = true
            defer { s.nextWaiter = nil }
            return (s.nextWaiter, s.child, s.exited)
        }
        waiter?(nil)
        guard let child, !exited else {
            stopServer()
            return
        }
        await child.terminate(grace: Self.stopGrace)
        await withCheckedContinuation { continuation in
            let gone = state.withLock { s in
                if s.exited { return true }
                s.exitWaiters.append(continuation)
                return false
            }
            if gone { continuation.resume() }
        }
        stopServer()
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
