import ChildProcesses
import Foundation
import Logging
import TestSupport
import Testing

@testable import LocalRunner

/// Children die with the runner, and only then: PR_SET_PDEATHSIG (set by `setpriv --pdeathsig KILL`) fires when
/// the *thread* that forked the child exits, so the parent thread must be one that lives as long as the process.
@Suite("ChildProcess lifetime")
struct ChildProcessLifetimeTests {
    /// A child that waits for `flag` to appear, then prints `alive` and exits 0. A child that had been SIGKILLed
    /// in between would end by signal 9 instead: a positive fact to wait for, not a quiet period.
    static func startFlagWaiter(flag: String) throws -> ChildProcess {
        try ChildProcess.start(
            "/bin/sh", arguments: ["-c", "while [ ! -e \"$1\" ]; do sleep 0.05; done; echo alive", "sh", flag],
            output: .capture, error: .capture)
    }

    @Test("a child outlives the thread and the task that started it: its parent is the one long-lived spawn thread")
    func childOutlivesItsStarter() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let flag = "\(directory)/go"

        // 1. Started from a task on a thread of its own, which then ends.
        let executor = ThreadTaskExecutor(name: "short-lived-starter")
        let (first, starter) = try await withTaskExecutorPreference(executor) {
            (try Self.startFlagWaiter(flag: flag), ThreadTable.current())
        }
        defer { first.kill() }
        let firstPid = try await first.spawned()
        executor.shutdown()
        try await eventually("the starting thread \(starter) has exited") { !ThreadTable.exists(starter) }

        // 2. Started from a task on the concurrency pool.
        let (second, poolStarter) = try await Task.detached {
            (try Self.startFlagWaiter(flag: flag), ThreadTable.current())
        }.value
        defer { second.kill() }
        let secondPid = try await second.spawned()

        // Neither child hangs off the thread that started it: both hang off the same other thread
        // (swift-subprocess's spawn thread), which is still there.
        let firstParent = try #require(ThreadTable.parentThread(of: firstPid), "no thread of ours parents \(firstPid)")
        let secondParent = try #require(ThreadTable.parentThread(of: secondPid))
        #expect(firstParent == secondParent)
        #expect(firstParent != starter && firstParent != poolStarter)
        #expect(ThreadTable.exists(firstParent))

        // Pool threads do not retire on this toolchain while the process lives (70 s of idling showed none go), so
        // there is no retirement to wait for; what PR_SET_PDEATHSIG keys on is the parent thread checked above.
        // The first child's starter is gone, so any death signal tied to it was sent already: both must still run.
        _ = FileManager.default.createFile(atPath: flag, contents: nil)
        #expect(try await first.waitForExit() == .exited(0), "\(first.standardErrorText)")
        #expect(try await second.waitForExit() == .exited(0), "\(second.standardErrorText)")
        #expect(first.standardOutputText == "alive\n")
        #expect(second.standardOutputText == "alive\n")
    }

    @Test("SIGKILL of the runner leaves no child of it: mosquitto and the workers die with it")
    func runnerKillLeavesNoChild() async throws {
        let runner = try await RunnerProcess(extraArguments: ["--prewarm"])
        #expect(try await runner.request("GET", "/api/ChargingSessionAPI/sessions").status == 200)
        try await eventually("mosquitto and workers run under the runner") {
            let children = runner.descendants
            return children.contains { ProcessTable.commandLine($0).contains("mosquitto") } && children.count >= 3
        }
        // Collected before the kill, with their start times, so a pid reused afterwards is not mistaken for one.
        let children = runner.descendants.compactMap(ProcessIdentity.init(pid:))
        let parents = Set(children.compactMap { ThreadTable.parentThread(of: $0.pid, in: runner.pid) })
        #expect(parents.count == 1, "the runner's children hang off threads \(parents)")
        for child in children where !child.commandLine.contains("mosquitto") {
            // mosquitto blocks SIGHUP/INT/TERM/USR1/USR2 itself while it works (and unblocks them while it waits).
            #expect(child.statusField("SigBlk") == "0000000000000000", "\(child.commandLine)")
        }

        kill(runner.pid, SIGKILL)
        _ = try await runner.waitForExit(timeout: 60)
        var left = children
        let deadline = ContinuousClock.now + .seconds(2)
        while !left.isEmpty, ContinuousClock.now < deadline {
            left = left.filter(\.isAlive)
            try await Task.sleep(for: .milliseconds(20))
        }
        left = left.filter(\.isAlive)
        for child in left { kill(child.pid, SIGKILL) }
        #expect(left.isEmpty, "alive 2 s after the runner was killed: \(left.map { "\($0.pid) \($0.commandLine)" })")
    }

    @Test("the broker as the runner starts it stops on SIGTERM alone")
    func brokerStopsOnSIGTERM() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = try await BrokerProcess.start(
            host: "127.0.0.1", mqttPort: 0, websocketsPort: 0, dataDirectory: directory,
            logger: Logger(label: "test.mosquitto"))
        // A grace period far longer than mosquitto needs: a SIGKILL would show as signal 9.
        #expect(await broker.process.terminate(grace: .seconds(60)) == .exited(0))
        await broker.stop()
    }

    @Test("a picked port taken before mosquitto binds it: the broker starts on newly picked ports")
    func brokerPicksAgain() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let taken = try LoopbackListener()
        defer { taken.close() }
        let picks = AttemptCounter()
        // The first pick is a port another process holds, as when it is taken between the pick and the bind.
        let broker = try await BrokerProcess.start(
            host: "127.0.0.1", mqttPort: 0, websocketsPort: 0, dataDirectory: directory,
            logger: Logger(label: "test.mosquitto"),
            pickPort: { host throws(LocalRunnerError) in
                picks.next() == 1 ? taken.port : try BrokerProcess.freePort(host: host)
            })
        #expect(picks.count == 4, "two ports for the failed start, two for the one that listens")
        #expect(broker.ports.mqtt != taken.port && broker.ports.websockets != taken.port)
        #expect(broker.process.termination == nil)
        await broker.stop()
    }
}

/// A process seen in /proc, told apart from a later one with the same pid by its start time.
struct ProcessIdentity: Sendable {
    let pid: Int32
    let startTime: String
    let commandLine: String

    init?(pid: Int32) {
        guard let startTime = Self.startTime(pid) else { return nil }
        self.pid = pid
        self.startTime = startTime
        commandLine = ProcessTable.commandLine(pid)
    }

    /// Still running: the same process (not a reused pid), and not a zombie.
    var isAlive: Bool { Self.startTime(pid) == startTime && ProcessTable.isAlive(pid) }

    /// A field of /proc/<pid>/status, e.g. `SigBlk`.
    func statusField(_ name: String) -> String? {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
        return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }

    /// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot).
    static func startTime(_ pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        // Fields after the command start at field 3 (state); field 22 is at offset 19.
        return fields.count > 19 ? String(fields[19]) : nil
    }
}

/// The threads of a process in /proc, and which of them a child hangs off.
enum ThreadTable {
    /// The kernel thread id of the calling thread (`/proc/thread-self` links to `<pid>/task/<tid>`).
    static func current() -> Int32 {
        var buffer = [CChar](repeating: 0, count: 64)
        let length = readlink("/proc/thread-self", &buffer, buffer.count - 1)
        let link = String(decoding: buffer.prefix(max(0, length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Int32(link.split(separator: "/").last ?? "") ?? -1
    }

    static func exists(_ thread: Int32, in process: Int32 = getpid()) -> Bool {
        FileManager.default.fileExists(atPath: "/proc/\(process)/task/\(thread)")
    }

    /// The thread of `process` that forked `child` (`/proc/<pid>/task/<tid>/children`).
    static func parentThread(of child: Int32, in process: Int32 = getpid()) -> Int32? {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process)/task")) ?? []
        for task in tasks {
            guard let thread = Int32(task),
                let children = try? String(contentsOfFile: "/proc/\(process)/task/\(task)/children", encoding: .utf8)
            else { continue }
            if children.split(separator: " ").contains(where: { Int32($0) == child }) { return thread }
        }
        return nil
    }
}
