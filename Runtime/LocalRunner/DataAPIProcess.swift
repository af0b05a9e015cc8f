import ChildProcesses
import Foundation
import Logging

/// `evcsm-data-api`, the stand-in for the managed Data API, as a supervised child of the runner: on 127.0.0.1,
/// on the SQLite file in the data dir (or MongoDB), with the per-run key from the key file. The first start
/// takes a free port; every restart binds that same port again, so the workers' `DATA_API_URL` stays right.
/// A crash of the Data API never takes the runner down with it: the process is restarted (see
/// ``SupervisedChild``), and while it is down the `/data-api` proxy answers 503 and workers' calls are refused.
final class DataAPIProcess: Sendable {
    /// How the server is started.
    struct Command: Sendable {
        /// The `evcsm-data-api` executable.
        var binary: String
        /// The embedded store (ignored with `mongodbURI`).
        var sqliteFile: String
        /// MongoDB instead of SQLite; handed over in the environment, never on the command line.
        var mongodbURI: String?
        /// The file with the accepted key (mode 0600).
        var keyFile: String
        var logLevel: Logger.Level

        func arguments(port: Int) -> [String] {
            [
                "--host", DataAPIProcess.host, "--port", "\(port)", "--sqlite", sqliteFile, "--api-key-file", keyFile,
                "--log-level", logLevel.rawValue,
            ]
        }

        /// Only the key file counts: keys and a MongoDB URI from the runner's own environment are not inherited.
        /// A crash ends the process at once, with its `Fatal error: …` line, unless `SWIFT_BACKTRACE` is set: the
        /// runtime's backtracer would hold the listening socket for seconds, and requests would wait for it.
        var environment: [String: String] {
            var environment = ["DATA_API_KEYS": "", "MONGODB_URI": mongodbURI ?? ""]
            if ProcessInfo.processInfo.environment["SWIFT_BACKTRACE"] == nil {
                environment["SWIFT_BACKTRACE"] = "enable=no"
            }
            return environment
        }
    }

    static let host = "127.0.0.1"
    /// How long a start may take until the server prints that it listens.
    static let startTimeout: Duration = .seconds(30)
    /// Time the server gets to finish its requests after SIGTERM.
    static let stopGrace: Duration = .seconds(5)

    /// The port it listens on, the same across restarts.
    let port: Int
    let supervisor: SupervisedChild

    /// `http://127.0.0.1:<port>`: the workers' `DATA_API_URL`.
    var baseURL: String { "http://\(Self.host):\(port)" }

    /// The process running now (or the one that exited last).
    var process: ChildProcess { supervisor.current }

    /// Starts the server on a free port and waits until it listens; from then on, `upstream` says whether it is up.
    static func start(
        _ command: Command, upstream: DataAPIUpstream, metrics: RunnerMetrics, logger: Logger
    ) async throws(LocalRunnerError) -> DataAPIProcess {
        let (first, port) = try await launch(command, port: 0, logger: logger)
        let baseURL = "http://\(host):\(port)"
        upstream.set(baseURL)
        let supervisor = SupervisedChild(
            name: "data-api", running: first, metrics: metrics, logger: logger,
            didRestart: { _ in upstream.set(baseURL) }, didExit: { upstream.set(nil) }
        ) { () throws(LocalRunnerError) in
            // The same port again: the workers' DATA_API_URL names it.
            try await launch(command, port: port, logger: logger).child
        }
        return DataAPIProcess(port: port, supervisor: supervisor)
    }

    init(port: Int, supervisor: SupervisedChild) {
        self.port = port
        self.supervisor = supervisor
    }

    /// Stops supervising and stops the server (SIGTERM, SIGKILL after ``stopGrace``).
    func stop() async { await supervisor.stop(grace: Self.stopGrace) }

    /// Starts one server on `port` (0: a free one) and returns it once it has printed its
    /// `evcsm-data-api listening on http://host:port` line, with that port. On any failure no process is left.
    static func launch(
        _ command: Command, port: Int, logger: Logger
    ) async throws(LocalRunnerError) -> (child: ChildProcess, port: Int) {
        let log = ChildOutputLog(prefix: "data-api", logger: logger)
        let listening = AsyncValue<Int>()
        let child: ChildProcess
        do {
            child = try ChildProcess.start(
                command.binary, arguments: command.arguments(port: port), environment: command.environment,
                output: log.output(stream: "stdout", level: .info) { line in
                    if let port = listeningPort(line) { listening.set(port) }
                },
                error: log.output(stream: "stderr", level: .warning))
            _ = try await child.spawned()
        } catch {
            throw LocalRunnerError(.process, "cannot start \(command.binary): \(error.message)", underlying: error)
        }
        let deadline = ContinuousClock.now + startTimeout
        while ContinuousClock.now < deadline, !Task.isCancelled {
            if let bound = listening.current { return (child, bound) }
            if let termination = child.termination {
                let output = log.lastLines
                throw LocalRunnerError(
                    .process,
                    "evcsm-data-api \(termination) before it listened on \(host):\(port == 0 ? "<any port>" : "\(port)")"
                        + (output.isEmpty ? "" : ": \(output)"))
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        await child.terminate(grace: stopGrace)
        throw LocalRunnerError(
            .process,
            Task.isCancelled
                ? "the runner stopped while evcsm-data-api was starting"
                : "evcsm-data-api did not listen within \(startTimeout); see the log")
    }

    /// The port of the server's `evcsm-data-api listening on http://127.0.0.1:5275` line.
    static func listeningPort(_ line: String) -> Int? {
        guard let match = line.firstMatch(of: /^evcsm-data-api listening on http:\/\/[^\s\/]+:(\d+)$/) else {
            return nil
        }
        return Int(match.output.1)
    }

    /// The `evcsm-data-api` to run: `explicit` (`--data-api-binary`) when given, else the one next to this
    /// executable, in the functions directory, or on `PATH`.
    static func findBinary(explicit: String?, functionsDirectory: String) throws(LocalRunnerError) -> String {
        let name = "evcsm-data-api"
        if let explicit {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw LocalRunnerError(.configuration, "--data-api-binary \(explicit) is not an executable file")
            }
            return explicit
        }
        let ownDirectory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates = [ownDirectory.appendingPathComponent(name).path, "\(functionsDirectory)/\(name)"]
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        candidates += path.split(separator: ":").map { "\($0)/\(name)" }
        if let found = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) { return found }
        throw LocalRunnerError(
            .configuration,
            "\(name) not found next to evcsm-local (\(ownDirectory.path)), in --functions-dir or on PATH: "
                + "build it (swift build --product \(name)) or pass --data-api-binary")
    }
}
