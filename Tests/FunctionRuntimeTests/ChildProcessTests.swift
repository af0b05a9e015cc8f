import Foundation
import TestSupport
import Testing

@Suite("ChildProcess")
struct ChildProcessTests {
    @Test func capturesOutputAndExitStatus() async throws {
        let child = try ChildProcess.start(
            "/bin/sh", arguments: ["-c", "cat; echo \"$EVCSM_H1\" >&2; exit 3"], environment: ["EVCSM_H1": "err"],
            stdin: Array("hi".utf8))
        #expect(try await child.wait(timeout: .seconds(60)) == 3)
        #expect(child.standardOutputText == "hi")
        #expect(child.standardErrorText == "err\n")
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
    }
}
