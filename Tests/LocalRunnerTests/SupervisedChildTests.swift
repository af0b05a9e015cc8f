import ChildProcesses
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import LocalRunner

/// The pieces of child supervision, in-process: restarts, the Data API's start-up line, log lines, port holders.
@Suite("Supervised children")
struct SupervisedChildTests {
    static func sleeper() async throws(LocalRunnerError) -> ChildProcess {
        do {
            let child = try ChildProcess.start("/bin/sleep", arguments: ["600"], output: .discard, error: .discard)
            _ = try await child.spawned()
            return child
        } catch {
            throw LocalRunnerError(.process, error.message)
        }
    }

    @Test("a child that dies is started again and counted; after stop() nothing is restarted")
    func restartsUntilStopped() async throws {
        let metrics = RunnerMetrics()
        let first = try await Self.sleeper()
        let supervisor = SupervisedChild(
            name: "sleeper", running: first, metrics: metrics, logger: Logger(label: "test")
        ) { () throws(LocalRunnerError) in try await Self.sleeper() }
        #expect(metrics.prometheusText().contains(#"evcsm_child_restarts_total{child="sleeper"} 0"#))

        let firstPid = try #require(first.pid)
        first.signal(SIGKILL)
        try await eventually("the killed child was replaced") {
            supervisor.current.pid != firstPid && supervisor.current.pid != nil && !supervisor.current.hasExited
        }
        #expect(metrics.prometheusText().contains(#"evcsm_child_restarts_total{child="sleeper"} 1"#))

        let second = supervisor.current
        await supervisor.stop(grace: .seconds(5))
        #expect(second.hasExited)
        #expect(supervisor.current.pid == second.pid, "a child was started after stop()")
        #expect(metrics.prometheusText().contains(#"evcsm_child_restarts_total{child="sleeper"} 1"#))
    }

    @Test("a restart that fails is tried again until it succeeds")
    func failedRestartIsRetried() async throws {
        let attempts = AttemptCounter()
        let first = try await Self.sleeper()
        let supervisor = SupervisedChild(
            name: "flaky", running: first, metrics: nil, logger: Logger(label: "test")
        ) { () throws(LocalRunnerError) in
            if attempts.next() <= 2 { throw LocalRunnerError(.process, "not yet") }
            return try await Self.sleeper()
        }
        first.signal(SIGKILL)
        try await eventually("the third attempt started a child") {
            attempts.count >= 3 && supervisor.current.pid != first.pid && !supervisor.current.hasExited
        }
        await supervisor.stop(grace: .seconds(5))
    }

    @Test("the Data API's listening line gives its port; other lines do not")
    func listeningLine() {
        #expect(DataAPIProcess.listeningPort("evcsm-data-api listening on http://127.0.0.1:40123") == 40123)
        #expect(DataAPIProcess.listeningPort("2026-12-01T10:27:23+0000 info evcsm-data-api: listening") == nil)
        #expect(DataAPIProcess.listeningPort("evcsm-data-api listening on http://127.0.0.1:") == nil)
    }

    @Test("swift-log lines of a child keep their level, without their timestamp; other lines get the default")
    func childLogLines() throws {
        let parsed = try #require(
            ChildOutputLog.parse("2026-12-01T10:27:23+0000 warning evcsm-data-api: [DataAPIServer] slow query"))
        #expect(parsed.0 == .warning)
        #expect(parsed.1 == "evcsm-data-api: [DataAPIServer] slow query")
        #expect(ChildOutputLog.parse("Error: Address already in use") == nil)
        #expect(ChildOutputLog.parse("Fatal error: Double value cannot be converted to Int") == nil)
    }

    @Test("a bound port is named with the process that holds it")
    func portHolder() throws {
        let listener = try LoopbackListener()
        #expect(!PortHolder.canBind(host: "127.0.0.1", port: listener.port))
        let holders = PortHolder.holders(port: listener.port)
        #expect(holders.contains { $0.pid == getpid() }, "\(holders)")
        #expect(throws: LocalRunnerError.self) {
            try PortHolder.ensureFree(host: "127.0.0.1", port: listener.port, code: .configuration, advice: "x")
        }
        do {
            try PortHolder.ensureFree(host: "127.0.0.1", port: listener.port, code: .configuration, advice: "x")
        } catch {
            #expect(error.message.hasPrefix("port \(listener.port) is already in use by "))
            #expect(error.message.contains("(pid \(getpid()))"))
        }
        let port = listener.port
        listener.close()
        #expect(PortHolder.canBind(host: "127.0.0.1", port: port))
    }
}

/// Counts calls from any thread.
final class AttemptCounter: Sendable {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    /// Counts one more and returns the new count.
    func next() -> Int {
        value.withLock { v in
            v += 1
            return v
        }
    }
}

/// A listening TCP socket on 127.0.0.1 and a free port, held by the test process.
final class LoopbackListener: Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(fd)
            throw HarnessError("bind/listen failed")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(fd) }
}
