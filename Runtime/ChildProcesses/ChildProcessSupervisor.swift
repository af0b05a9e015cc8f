import Subprocess

#if canImport(Glibc)
import Glibc
#endif

/// Runs one child through swift-subprocess's `run`, from spawn to reaping, and reports each step to its
/// ``ChildProcessState``.
///
/// What swift-subprocess 1.0.2 guarantees here, on Linux (read in its sources; the tests check the first two):
/// - Every child starts with an empty signal mask and every signal at its default disposition
///   (`POSIX_SPAWN_SETSIGMASK` + `POSIX_SPAWN_SETSIGDEF` on its `posix_spawn` path, `signal(SIG_DFL)` and
///   `sigprocmask` on its `fork`/`exec` path), whatever the spawning thread blocks or ignores.
/// - Every spawn runs on one dedicated pthread of its own (`runOnBackgroundThread`), created on first use and
///   ended only by its `atexit` handler. That thread is the children's parent in the kernel's eyes, so
///   `PR_SET_PDEATHSIG`, which fires when the parent *thread* exits, fires only when the process exits, never
///   when the Swift concurrency pool retires the thread an `async` caller happened to run on.
enum ChildProcessSupervisor {
    /// Runs the child to its end; never throws (a failure is the state's outcome).
    static func supervise(
        _ configuration: Configuration, input: [UInt8]?, stdout: OutputSink, stderr: OutputSink,
        state: ChildProcessState
    ) async {
        do {
            let status: TerminationStatus
            if let input {
                status = try await supervise(configuration, input: .array(input), stdout, stderr, state)
            } else {
                status = try await supervise(configuration, input: .none, stdout, stderr, state)
            }
            state.finish(.success(ChildProcess.Termination(status)))
        } catch {
            let wasSpawned = state.pid != nil
            // Once spawned, the body ran both drains to their end, which closed any output file.
            if !wasSpawned {
                stdout.abandon()
                stderr.abandon()
            }
            let message =
                wasSpawned
                ? "lost track of \(configuration.executable): \(error)"
                : "cannot start \(configuration.executable): \(error)"
            state.finish(.failure(ChildProcessError(.spawn, message, underlying: error)))
        }
    }

    private static func supervise<Input: InputProtocol>(
        _ configuration: Configuration, input: Input, _ stdout: OutputSink, _ stderr: OutputSink,
        _ state: ChildProcessState
    ) async throws -> TerminationStatus {
        let result = try await Subprocess.run(configuration, input: input, output: .sequence, error: .sequence) {
            execution in
            let pid = execution.processIdentifier.value
            state.spawned(pid: pid)
            // Both pipes end when the child has exited (swift-subprocess then ends the reads of a pipe that a
            // grandchild still holds, after reading what is buffered) or has closed them.
            async let out: Void = stdout.drain(execution.standardOutput)
            async let err: Void = stderr.drain(execution.standardError)
            _ = await (out, err)
            await waitUntilExited(pid)
            state.exiting()
        }
        return result.terminationStatus
    }

    /// Returns once `pid` has exited (it is not reaped until the `run` body returns). Usually at once: the pipes
    /// end with the process. Polls, backing off to 100 ms, only for a child that closed both of them early.
    private static func waitUntilExited(_ pid: Int32) async {
        var delay = Duration.milliseconds(1)
        while !ChildProcessState.hasExited(pid) {
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .milliseconds(100))
        }
    }
}

/// `setpriv --pdeathsig KILL` (util-linux) as the exec wrapper of every child: swift-subprocess has no pre-exec
/// hook on Linux, and `setpriv` sets `PR_SET_PDEATHSIG` on itself and then execs the real program in the same
/// process, so the child is SIGKILLed when the runner dies, however it dies.
///
/// Two limits: a runner killed in the instant between the fork and `setpriv`'s `prctl` would leave that one child
/// behind (nothing short of a pre-exec hook closes that window), and the kernel clears the parent-death signal of
/// a process that changes its credentials, so a child must not switch users (mosquitto started as root does,
/// unless its config says `user root`).
enum DeathSignalWrapper {
    /// `setpriv`'s path, looked up once per process.
    static let path: Result<String, ChildProcessError> = {
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/setpriv"
            if access(candidate, X_OK) == 0 { return .success(candidate) }
        }
        return .failure(
            ChildProcessError(
                .deathSignalWrapper,
                "setpriv not found in \(path) or /usr/bin: install util-linux (apt-get install util-linux); "
                    + "without it a child would outlive a crashed runner"))
    }()

    /// The wrapper's arguments for running `executable` with `arguments`.
    static func arguments(running executable: String, _ arguments: [String]) -> [String] {
        ["--pdeathsig", "KILL", "--", executable] + arguments
    }
}
