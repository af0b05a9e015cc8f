import Subprocess

#if canImport(Glibc)
import Glibc
#endif

/// A child process on swift-subprocess that starts with the default signal mask and dispositions and dies with
/// the process that started it.
///
/// - Every child runs under `setpriv --pdeathsig KILL` (util-linux; looked up once, `start` fails without it)
///   and is spawned by swift-subprocess's own long-lived spawn thread, so it is SIGKILLed when its parent
///   process dies, even by SIGKILL, and not before. (A child that switches users loses that signal.)
/// - It leads a process group of its own: a terminal's Ctrl-C reaches only the parent, which stops its children
///   in its own order, and ``signal(_:)`` reaches the child and anything it started.
/// - Its stdout and stderr are each read to their end and handled as ``Output`` says; stdin is `/dev/null` or
///   the bytes given.
///
/// ```swift
/// let child = try ChildProcess.start(
///     "/usr/sbin/mosquitto", arguments: ["-c", configPath],
///     output: .log(logger, prefix: "mosquitto"), error: .log(logger, prefix: "mosquitto"))
/// let pid = try await child.spawned()
/// // ...
/// let termination = await child.terminate(grace: .seconds(5))  // SIGTERM, SIGKILL after 5 s
/// ```
public struct ChildProcess: Sendable {
    /// How a child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// It exited with this status.
        case exited(Int32)
        /// A signal with this number ended it.
        case signalled(Int32)

        init(_ status: TerminationStatus) {
            switch status {
            case .exited(let code): self = .exited(code)
            case .signaled(let signal): self = .signalled(signal)
            }
        }

        /// `exited with status 3`, `killed by signal 9`.
        public var description: String {
            switch self {
            case .exited(let status): "exited with status \(status)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// The executable, as given to ``start(_:arguments:environment:inheritEnvironment:workingDirectory:input:output:error:)``.
    public let executable: String
    let state: ChildProcessState
    let stdout: OutputSink
    let stderr: OutputSink

    /// Starts `executable` (a path) with `arguments`, returning at once; the spawn itself runs on
    /// swift-subprocess's spawn thread (``spawned()`` waits for it).
    ///
    /// The environment is this process's merged with `environment`, or exactly `environment` when
    /// `inheritEnvironment` is false. `input`, when given, is written to the child's stdin, which is then closed;
    /// otherwise stdin is `/dev/null`.
    /// - Throws: ``ChildProcessError`` when the executable is missing, `setpriv` is not installed, a variable name
    ///   is invalid or an output file cannot be opened. A failure of the spawn itself comes from ``spawned()`` and
    ///   ``waitForExit()``.
    public static func start(
        _ executable: String, arguments: [String] = [], environment: [String: String] = [:],
        inheritEnvironment: Bool = true, workingDirectory: String? = nil, input: [UInt8]? = nil,
        output: Output, error: Output
    ) throws(ChildProcessError) -> ChildProcess {
        let wrapper = try DeathSignalWrapper.path.get()
        guard isExecutableFile(executable) else {
            throw ChildProcessError(.executable, "not an executable file: \(executable)")
        }
        var options = PlatformOptions()
        options.processGroupID = 0
        let configuration = Configuration(
            executable: .path(.init(wrapper)),
            arguments: Arguments(DeathSignalWrapper.arguments(running: executable, arguments)),
            environment: try childEnvironment(environment, inherit: inheritEnvironment),
            workingDirectory: workingDirectory.map { .init($0) }, platformOptions: options)
        let stdout = try OutputSink(output)
        let stderr: OutputSink
        do {
            stderr = try OutputSink(error)
        } catch {
            stdout.abandon()
            throw error
        }
        let state = ChildProcessState()
        // Detached: the child's supervision must not run on (or wait for) an executor the caller prefers, which
        // may be a thread that ends long before the child does.
        Task.detached {
            await ChildProcessSupervisor.supervise(
                configuration, input: input, stdout: stdout, stderr: stderr, state: state)
        }
        return ChildProcess(executable: executable, state: state, stdout: stdout, stderr: stderr)
    }

    /// The process id; nil until the spawn has completed (and when it failed).
    public var pid: Int32? { state.pid }

    /// Waits for the spawn and returns the process id.
    /// - Throws: ``ChildProcessError`` with code `spawn` when the process could not be started.
    public func spawned() async throws(ChildProcessError) -> Int32 {
        try await state.waitForSpawn().get()
    }

    /// True once the process has exited, even before it is reaped (a zombie), or could not be started.
    public var hasExited: Bool { state.hasExited }

    /// How the process ended, once it has ended and both of its output streams have been read to their end.
    public var termination: Termination? { try? state.outcome?.get() }

    /// Everything the child wrote to stdout, when its output is ``Output/capture`` (else empty).
    public var standardOutput: [UInt8] { stdout.bytes }

    /// Everything the child wrote to stderr, when its error output is ``Output/capture`` (else empty).
    public var standardError: [UInt8] { stderr.bytes }

    /// Sends `signal` to the child's process group: the child and anything it started. Before the spawn has
    /// completed it is sent right after it; once the child has exited, never (its pid may be reused).
    public func signal(_ signal: Int32) {
        state.send(signal)
    }

    /// Waits until the process has ended and its output has been read.
    /// - Throws: ``ChildProcessError`` with code `spawn` when the process could not be started.
    public func waitForExit() async throws(ChildProcessError) -> Termination {
        try await state.waitForOutcome().get()
    }

    /// Waits up to `timeout` for the process to end; nil when it is still running then.
    /// - Throws: ``ChildProcessError`` with code `spawn` when the process could not be started.
    public func waitForExit(timeout: Duration) async throws(ChildProcessError) -> Termination? {
        let state = self.state
        let outcome = await withTaskGroup(of: ChildProcessState.Outcome?.self) { group in
            group.addTask { await state.waitForOutcomeUnlessCancelled() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        return try outcome?.get()
    }

    /// SIGTERM to the process group, then SIGKILL once `grace` has passed; returns how the process ended
    /// (nil when it could not be started).
    @discardableResult
    public func terminate(grace: Duration) async -> Termination? {
        signal(SIGTERM)
        if let ended = try? await waitForExit(timeout: grace) { return ended }
        signal(SIGKILL)
        return try? await waitForExit()
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }

    static func childEnvironment(
        _ values: [String: String], inherit: Bool
    ) throws(ChildProcessError) -> Environment {
        var keyed: [Environment.Key: String] = [:]
        for (name, value) in values {
            guard !name.isEmpty, !name.contains("="), !name.contains("\0"), let key = Environment.Key(rawValue: name)
            else { throw ChildProcessError(.environment, "invalid environment variable name \"\(name)\"") }
            keyed[key] = value
        }
        return inherit ? .inherit.updating(keyed.mapValues { Optional($0) }) : .custom(keyed)
    }
}
