import Foundation
import Synchronization

/// A child process started from a test: a real binary with arguments and environment, its stdout and
/// stderr captured, waited for with a timeout and stopped with SIGTERM or SIGKILL.
///
/// ```swift
/// let child = try ChildProcess.start(binary, arguments: ["--event", path], environment: ["LOG_LEVEL": "debug"])
/// let status = try await child.wait(timeout: .seconds(30))
/// #expect(status == 0, "\(child.standardErrorText)")
/// ```
public final class ChildProcess: Sendable {
    /// The process id.
    public let pid: Int32
    private let process: Process
    private let output: OutputBuffers

    private init(process: Process, output: OutputBuffers) {
        self.process = process
        self.output = output
        self.pid = process.processIdentifier
    }

    /// Starts `executable` with `arguments`. The child's environment is the test's environment merged with
    /// `environment` (or exactly `environment` when `inheritEnvironment` is false). `stdin` bytes, when given,
    /// are written to the child's standard input, which is then closed.
    public static func start(
        _ executable: String, arguments: [String] = [], environment: [String: String] = [:],
        inheritEnvironment: Bool = true, currentDirectory: String? = nil, stdin: [UInt8]? = nil
    ) throws -> ChildProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ChildProcessError(message: "not an executable file: \(executable)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = inheritEnvironment ? ProcessInfo.processInfo.environment : [:]
        env.merge(environment) { _, new in new }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        let output = OutputBuffers()
        outPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            output.append(data, toStandardError: false)
        }
        errPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            output.append(data, toStandardError: true)
        }
        process.terminationHandler = { _ in output.markExited() }
        try runWithDefaultSignalMask(process)
        if let stdin, !stdin.isEmpty {
            try inPipe.fileHandleForWriting.write(contentsOf: Data(stdin))
        }
        try inPipe.fileHandleForWriting.close()
        return ChildProcess(process: process, output: output)
    }

    /// Everything the child wrote to stdout so far.
    public var standardOutput: [UInt8] { output.snapshot().stdout }
    /// Everything the child wrote to stderr so far.
    public var standardError: [UInt8] { output.snapshot().stderr }
    /// stdout as UTF-8 text.
    public var standardOutputText: String { String(decoding: standardOutput, as: UTF8.self) }
    /// stderr as UTF-8 text.
    public var standardErrorText: String { String(decoding: standardError, as: UTF8.self) }

    /// True while the process runs.
    public var isRunning: Bool { process.isRunning }

    /// The exit status (or the signal number for `uncaughtSignal`), once the process exited and its output
    /// was collected.
    public var exitStatus: Int32? {
        output.snapshot().exited ? process.terminationStatus : nil
    }

    /// True when the process was ended by a signal.
    public var wasSignalled: Bool { output.snapshot().exited && process.terminationReason == .uncaughtSignal }

    /// Waits until the process exits and returns its exit status; throws when `timeout` passes first
    /// (the process is left running; call ``kill()``).
    @discardableResult
    public func wait(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let status = exitStatus { return status }
            guard clock.now < deadline else {
                throw ChildProcessError(
                    message: "process \(pid) did not exit within \(timeout); stderr: \(standardErrorText.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits until stdout or stderr contains `text`; throws when `timeout` passes first or the process exits
    /// without printing it.
    public func waitForOutput(containing text: String, timeout: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if standardOutputText.contains(text) || standardErrorText.contains(text) { return }
            if exitStatus != nil {
                throw ChildProcessError(
                    message: "process \(pid) exited without printing \"\(text)\"; stderr: \(standardErrorText)")
            }
            guard clock.now < deadline else {
                throw ChildProcessError(message: "process \(pid) did not print \"\(text)\" within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Sends SIGTERM.
    public func terminate() {
        if isRunning { process.terminate() }
    }

    /// Sends SIGKILL.
    public func kill() {
        if isRunning { _ = Foundation.kill(pid, SIGKILL) }
    }

    /// Sends SIGTERM, waits up to `grace`, then SIGKILL; returns once the process is gone.
    public func stop(grace: Duration = .seconds(5)) async {
        terminate()
        if (try? await wait(timeout: grace)) != nil { return }
        kill()
        _ = try? await wait(timeout: .seconds(30))
    }
}

/// Starts `process` from a fresh thread whose signal mask is empty.
///
/// `posix_spawn` passes the calling thread's signal mask on to the child, and Swift's cooperative threads block
/// nearly every signal: a child started from one of them would ignore SIGTERM (and SIGINT) for its whole life.
private func runWithDefaultSignalMask(_ process: Process) throws {
    let done = DispatchSemaphore(value: 0)
    let failure = Mutex<(any Error)?>(nil)
    let thread = Thread {
        var empty = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, nil)
        do {
            try process.run()
        } catch {
            failure.withLock { $0 = error }
        }
        done.signal()
    }
    thread.start()
    done.wait()
    if let error = failure.withLock({ $0 }) { throw error }
}

/// A child process could not be started or did not behave in time.
public struct ChildProcessError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

private final class OutputBuffers: Sendable {
    private struct State {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var endOfStdout = false
        var endOfStderr = false
        var exitedAt: ContinuousClock.Instant?
    }
    private let state = Mutex(State())

    /// Appends output; empty data means the end of that stream.
    func append(_ data: Data, toStandardError: Bool) {
        state.withLock { state in
            if data.isEmpty {
                if toStandardError { state.endOfStderr = true } else { state.endOfStdout = true }
            } else if toStandardError {
                state.stderr.append(contentsOf: data)
            } else {
                state.stdout.append(contentsOf: data)
            }
        }
    }

    func markExited() { state.withLock { $0.exitedAt = ContinuousClock.now } }

    /// `exited` turns true once the process exited and both pipes reached their end (or, when a grandchild
    /// keeps a pipe open, two seconds after the exit).
    func snapshot() -> (stdout: [UInt8], stderr: [UInt8], exited: Bool) {
        state.withLock { state in
            let drained = state.endOfStdout && state.endOfStderr
            let exited = state.exitedAt.map { drained || ContinuousClock.now - $0 > .seconds(2) } ?? false
            return (state.stdout, state.stderr, exited)
        }
    }
}
