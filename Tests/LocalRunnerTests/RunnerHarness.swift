import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Paths the integration tests need, from the environment `make swift-test` sets.
enum TestEnvironment {
    /// The repository root: `EVCSM_ROOT`, else derived from this file's path.
    static var root: String {
        if let root = ProcessInfo.processInfo.environment["EVCSM_ROOT"], !root.isEmpty { return root }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// `EVCSM_BIN_DIR`, required: the tests fail (not skip) without it.
    static func binDirectory() throws -> String {
        let dir = ProcessInfo.processInfo.environment["EVCSM_BIN_DIR"] ?? ""
        try #require(
            !dir.isEmpty,
            "EVCSM_BIN_DIR is not set: run `make swift-test`, or set it to the debug bin dir (swift build --show-bin-path)"
        )
        try #require(
            FileManager.default.isExecutableFile(atPath: "\(dir)/evcsm-local"), "no evcsm-local in EVCSM_BIN_DIR=\(dir)"
        )
        return dir
    }

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("evcsm-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A functions dir whose entries (one per name) are the test script function.
    static func scriptFunctions(_ names: [String]) throws -> String {
        let dir = try temporaryDirectory()
        let script = "\(root)/Tests/runner/script-function.sh"
        for name in names {
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/\(name)", withDestinationPath: script)
        }
        return dir
    }
}

/// A real `evcsm-local` process on ephemeral ports with a temporary data dir, started through ``ChildProcess``
/// (default signal mask, dies with the test process).
final class RunnerProcess: Sendable {
    let child: ChildProcess
    let dataDirectory: String
    let logPath: String
    let baseURL: String
    let mqttPort: Int
    let pid: Int32
    /// An operator's token from the development issuer (`POST /dev/token`), fetched after the banner when the
    /// runner has that issuer (`--auth jwt`, the default); ``request(_:_:json:body:headers:token:)`` sends it.
    let operatorToken: String?

    /// Starts the runner on a one-off template (written into a fresh data dir) whose single function
    /// `name` is the test script function.
    convenience init(scriptFunction name: String, template: String, extraArguments: [String] = []) async throws {
        let functions = try TestEnvironment.scriptFunctions([name])
        let dir = try TestEnvironment.temporaryDirectory()
        try template.write(toFile: "\(dir)/template.yaml", atomically: true, encoding: .utf8)
        try await self.init(
            template: "\(dir)/template.yaml", functionsDirectory: functions, dataDirectory: dir,
            extraArguments: extraArguments)
    }

    /// Starts the runner and waits for its banner.
    init(
        template: String? = nil, functionsDirectory: String? = nil, dataDirectory: String? = nil,
        extraArguments: [String] = []
    ) async throws {
        let bin = try TestEnvironment.binDirectory()
        let root = TestEnvironment.root
        let dataDirectory = try dataDirectory ?? TestEnvironment.temporaryDirectory()
        let logPath = "\(dataDirectory)/runner-\(UUID().uuidString.prefix(8)).log"
        self.dataDirectory = dataDirectory
        self.logPath = logPath
        let arguments =
            [
                "--port", "0", "--mqtt-port", "0", "--mqtt-ws-port", "0", "--data-dir", dataDirectory,
                "--template", template ?? "\(root)/template.yaml", "--functions-dir", functionsDirectory ?? bin,
                "--concurrency", "2",
            ] + extraArguments
        child = try ChildProcess.start(
            "\(bin)/evcsm-local", arguments: arguments, workingDirectory: root, output: .capture,
            error: .file(logPath))
        pid = try await child.spawned()
        do {
            try await child.waitForOutput(containing: "Press Ctrl-C", timeout: .seconds(60))
        } catch {
            await child.stop()
            throw HarnessError("no banner from evcsm-local (\(error)); log:\n\(Self.log(at: logPath))")
        }
        let banner = child.standardOutputText
        guard let api = banner.firstMatch(of: /API:\s+(http:\/\/[^\/\s]+)\//),
            let mqtt = banner.firstMatch(of: /MQTT:\s+mqtt:\/\/[^:]+:(\d+)/)
        else {
            await child.stop()
            throw HarnessError("no addresses in the banner of evcsm-local; log:\n\(Self.log(at: logPath))")
        }
        baseURL = String(api.output.1)
        mqttPort = Int(mqtt.output.1)!
        do {
            operatorToken =
                banner.contains("/dev/token")
                ? try await Self.developmentToken(baseURL: baseURL, sub: "test-operator", role: "operator") : nil
        } catch {
            await child.stop()
            throw error
        }
    }

    static func log(at path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    var log: String { Self.log(at: logPath) }

    /// All descendants of the runner (workers, broker, their children).
    var descendants: [Int32] { ProcessTable.descendants(of: pid) }

    /// SIGTERM and wait for exit.
    func terminate(timeout: TimeInterval = 30) async throws -> Int32 {
        child.terminate()
        return try await waitForExit(timeout: timeout)
    }

    func waitForExit(timeout: TimeInterval) async throws -> Int32 {
        do {
            return try await child.wait(timeout: .seconds(timeout))
        } catch {
            // The runner's own log says what it was still waiting for.
            throw HarnessError(
                "evcsm-local did not exit within \(timeout) s: \(error)\n--- its log, last 60 lines:\n"
                    + log.split(separator: "\n", omittingEmptySubsequences: false).suffix(60).joined(separator: "\n"))
        }
    }

    /// SIGKILL the runner and everything it started (for tests that simulate a crash).
    func killHard() async throws {
        let children = descendants
        child.kill()
        _ = try await waitForExit(timeout: 10)
        for child in children { kill(child, SIGKILL) }
    }

    deinit {
        if child.isRunning {
            let children = descendants
            child.kill()
            for child in children { kill(child, SIGKILL) }
        }
    }

    // MARK: HTTP

    struct Reply {
        var status: Int
        var body: Data
        var headers: [String: String]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// A request to the runner, with `Authorization: Bearer <token>`: by default the ``operatorToken`` (when
    /// there is one), `nil` for none, or the caller's own; an `Authorization` in `headers` wins.
    func request(
        _ method: String, _ path: String, json: [String: Any]? = nil, body: Data? = nil,
        headers: [String: String] = [:],
        token: String? = operatorTokenDefault
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let bearer = token == Self.operatorTokenDefault ? operatorToken : token {
            request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization")
        }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "content-type")
        } else if let body {
            request.httpBody = body
        }
        let (data, response) = try await RunnerProcess.session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields { fields["\(k)".lowercased()] = "\(v)" }
        return Reply(status: http.statusCode, body: data, headers: fields)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes: generous (120 s), because on a loaded 2-core machine the
/// whole parallel run once kept in-process bridges from running for over 30 s; pass/fail never depends on speed.
func eventually(
    timeout: TimeInterval = 120, _ what: String, _ condition: () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw HarnessError("timed out after \(timeout) s waiting for: \(what)")
}

/// /proc parent links.
enum ProcessTable {
    static func parents() -> [Int32: Int32] {
        var parents: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            if fields.count > 1, let ppid = Int32(fields[1]) { parents[pid] = ppid }
        }
        return parents
    }

    static func descendants(of root: Int32) -> [Int32] {
        let parents = parents()
        var result: [Int32] = []
        var frontier = [root]
        while let next = frontier.popLast() {
            let children = parents.filter { $0.value == next }.map(\.key)
            result += children
            frontier += children
        }
        return result
    }

    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // A zombie (state Z) has exited.
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    static func commandLine(_ pid: Int32) -> String {
        let raw = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        return String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    }
}

/// Runs a command-line tool (mosquitto_pub/_sub) and returns its output (stdout, then stderr); SIGKILLs it
/// when `timeout` passes first.
func runTool(_ path: String, _ arguments: [String], timeout: TimeInterval = 30) async throws -> String {
    let child = try ChildProcess.start(path, arguments: arguments)
    if (try? await child.wait(timeout: .seconds(timeout))) == nil { await child.stop(grace: .zero) }
    return child.standardOutputText + child.standardErrorText
}

/// A TCP port on 127.0.0.1 that was free a moment ago (for a test broker that cannot bind port 0 itself).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard bound else { throw HarnessError("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
