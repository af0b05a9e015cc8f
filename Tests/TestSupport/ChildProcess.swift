@_exported import ChildProcesses

#if canImport(Glibc)
import Glibc
#endif

/// Test conveniences on ``ChildProcesses/ChildProcess``: a real binary with its stdout and stderr captured,
/// waited for with a timeout and stopped with SIGTERM or SIGKILL. Like every ChildProcess, it starts with the
/// default signal mask and dies with the test process.
///
/// ```swift
/// let child = try ChildProcess.start(binary, arguments: ["--event", path], environment: ["LOG_LEVEL": "debug"])
/// let status = try await child.wait(timeout: .seconds(30))
/// #expect(status == 0, "\(child.standardErrorText)")
/// ```
extension ChildProcess {
    /// Starts `executable` with `arguments`, stdout and stderr captured. The child's environment is the test's
    /// environment merged with `environment`.
    public static func start(
        _ executable: String, arguments: [String] = [], environment: [String: String] = [:]
    ) throws(ChildProcessError) -> ChildProcess {
        try start(executable, arguments: arguments, environment: environment, output: .capture, error: .capture)
    }

    /// stdout as UTF-8 text.
    public var standardOutputText: String { String(decoding: standardOutput, as: UTF8.self) }
    /// stderr as UTF-8 text.
    public var standardErrorText: String { String(decoding: standardError, as: UTF8.self) }

    /// True until the process has exited (or failed to start).
    public var isRunning: Bool { !hasExited }

    /// The exit status, or the signal number when a signal ended it; nil while it runs.
    public var exitStatus: Int32? {
        switch termination {
        case .exited(let status): status
        case .signalled(let signal): signal
        case nil: nil
        }
    }

    /// True when a signal ended the process.
    public var wasSignalled: Bool {
        if case .signalled = termination { return true }
        return false
    }

    /// Waits until the process exits and returns ``exitStatus``; throws when `timeout` passes first (the process
    /// is left running; call ``kill()``) or it could not be started.
    @discardableResult
    public func wait(timeout: Duration = .seconds(60)) async throws(ChildProcessError) -> Int32 {
        guard let ended = try await waitForExit(timeout: timeout) else {
            throw ChildProcessError(
                .timeout,
                "process \(pid ?? 0) did not exit within \(timeout); stderr: \(standardErrorText.suffix(2000))")
        }
        switch ended {
        case .exited(let status), .signalled(let status): return status
        }
    }

    /// Waits until stdout or stderr contains `text`; throws when `timeout` passes first or the process exits
    /// without printing it.
    public func waitForOutput(containing text: String, timeout: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        _ = try await spawned()
        while true {
            if standardOutputText.contains(text) || standardErrorText.contains(text) { return }
            if termination != nil {
                throw ChildProcessError(
                    .exited, "process \(pid ?? 0) exited without printing \"\(text)\"; stderr: \(standardErrorText)")
            }
            guard clock.now < deadline else {
                throw ChildProcessError(.timeout, "process \(pid ?? 0) did not print \"\(text)\" within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Sends SIGTERM.
    public func terminate() { signal(SIGTERM) }

    /// Sends SIGKILL.
    public func kill() { signal(SIGKILL) }

    /// Sends SIGTERM, waits up to `grace`, then SIGKILL; returns once the process is gone.
    public func stop(grace: Duration = .seconds(5)) async {
        await terminate(grace: grace)
    }
}
