import Foundation
import Synchronization
import TestSupport
import Testing

@Suite("ChildProcess")
struct ChildProcessTests {
    @Test func capturesOutputAndExitStatus() async throws {
        let child = try ChildProcess.start(
            "/bin/sh", arguments: ["-c", "cat; echo \"$EVCSM_H1\" >&2; exit 3"], environment: ["EVCSM_H1": "err"],
            input: Array("hi".utf8), output: .capture, error: .capture)
        #expect(try await child.wait(timeout: .seconds(60)) == 3)
        #expect(child.standardOutputText == "hi")
        #expect(child.standardErrorText == "err\n")
        #expect(child.termination == .exited(3))
        #expect(!child.wasSignalled)
    }

    @Test func stopsARunningProcess() async throws {
        let child = try ChildProcess.start("/bin/sh", arguments: ["-c", "echo ready; exec sleep 60"])
        try await child.waitForOutput(containing: "ready", timeout: .seconds(60))
        #expect(child.isRunning)
        await child.stop(grace: .seconds(10))
        #expect(!child.isRunning)
        #expect(child.wasSignalled)
    }

    @Test func missingBinaryThrows() {
        #expect(throws: ChildProcessError.self) { try ChildProcess.start("/nonexistent/evcsm-binary") }
        #expect(throws: ChildProcessError.self) { try ChildProcess.start("/tmp") }
    }

    @Test("an exact environment, a working directory, lines to a handler and a file")
    func environmentDirectoryAndOutputs() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evcsm-cp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = LineRecorder()
        let child = try ChildProcess.start(
            "/bin/sh", arguments: ["-c", "echo \"$ONLY\"; pwd; printf 'no newline'; echo oops >&2"],
            environment: ["ONLY": "one", "PATH": "/usr/bin:/bin"], inheritEnvironment: false,
            workingDirectory: directory.path, output: .lines { lines.append($0) },
            error: .file(directory.path + "/err.log"))
        #expect(try await child.waitForExit() == .exited(0))
        let realDirectory = directory.resolvingSymlinksInPath().path
        #expect(lines.all == ["one", realDirectory, "no newline"])
        #expect(try String(contentsOfFile: directory.path + "/err.log", encoding: .utf8) == "oops\n")
        #expect(child.standardOutput.isEmpty)
    }

    @Test("a child starts with no signal blocked or ignored, even from a thread that blocks them, and SIGTERM stops it")
    func defaultSignalMaskAndDispositions() async throws {
        // The runner's threads block SIGHUP, SIGINT, SIGTERM, SIGUSR1 and SIGUSR2 (0x4a03); start from such a thread.
        let executor = ThreadTaskExecutor(name: "blocked-signals")
        defer { executor.shutdown() }
        let child = try await withTaskExecutorPreference(executor) {
            var blocked = sigset_t()
            sigemptyset(&blocked)
            for signal in [SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2] { sigaddset(&blocked, signal) }
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
            return try ChildProcess.start("/bin/sleep", arguments: ["600"])
        }
        let pid = try await child.spawned()
        // The fields are read once setpriv has exec'd sleep (its cmdline says so), not from the wrapper.
        var status = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            if status.contains("Name:\tsleep") { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(status.contains("Name:\tsleep"), "\(status)")
        #expect(Self.signalSet("SigBlk", in: status) == 0, "\(status)")
        // glibc's posix_spawn leaves its two internal signals (32 and 33, below SIGRTMIN) ignored in the child;
        // a glibc program sets them up itself. No other signal may be ignored.
        #expect(Self.signalSet("SigIgn", in: status).map { $0 & ~Self.glibcInternalSignals } == 0, "\(status)")
        // A generous grace period: SIGTERM alone must end it (a SIGKILL would show as signal 9).
        #expect(await child.terminate(grace: .seconds(60)) == .signalled(SIGTERM))
    }

    /// Signals 32 and 33 (bits 31 and 32).
    static let glibcInternalSignals: UInt64 = 0x1_8000_0000

    /// The hex signal set on the `field:` line of a /proc/<pid>/status text.
    static func signalSet(_ field: String, in status: String) -> UInt64? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
        return UInt64(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16)
    }

    @Test("a signal sent before the spawn has completed reaches the child, one sent after it has exited is dropped")
    func signalsAroundTheLifetime() async throws {
        let child = try ChildProcess.start("/bin/sleep", arguments: ["600"])
        child.signal(SIGKILL)
        #expect(try await child.waitForExit() == .signalled(SIGKILL))
        child.signal(SIGKILL)
        #expect(child.hasExited)
        #expect(try await child.waitForExit(timeout: .seconds(1)) == .signalled(SIGKILL))
    }

    @Test("waitForExit(timeout:) gives nil while the child runs")
    func waitWithTimeout() async throws {
        let child = try ChildProcess.start("/bin/sleep", arguments: ["600"])
        #expect(try await child.waitForExit(timeout: .milliseconds(50)) == nil)
        #expect(!child.hasExited)
        child.kill()
        #expect(try await child.waitForExit() == .signalled(SIGKILL))
    }
}

/// Lines a child printed, collected from its output handler.
final class LineRecorder: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
