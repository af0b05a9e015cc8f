import ChildProcesses
import Foundation
import Logging

/// A `mosquitto` broker started by the runner, with a generated config in the data dir: MQTT and
/// MQTT-over-WebSockets on loopback, `max_queued_messages 0` so QoS 1 messages are never dropped, and persistence
/// in the data dir (`mosquitto.db`, saved every 2 s and at exit) so the bridge's session and what is queued for it
/// survive a restart. No anonymous client: the dynamic security plugin holds users and roles in
/// `<data-dir>/mosquitto/dynamic-security.json` (kept across restarts); its admin user (``admin``) is made here,
/// before the start, and the runner makes every other user through it (``DynamicSecurityClient``). It runs as a ``ChildProcess`` (default signal mask, SIGTERM stops it, it dies with the
/// runner) under a ``SupervisedChild``: when it exits unexpectedly it is started again on the same ports.
public final class BrokerProcess: Sendable {
    /// The ports the broker listens on.
    public struct Ports: Sendable, Equatable {
        public var mqtt: Int
        public var websockets: Int
    }

    public let host: String
    public let ports: Ports
    /// The dynamic security plugin's admin user (password generated once, in `<data-dir>/mosquitto/admin.json`).
    public let admin: MQTTCredentials
    let configPath: String
    let pidPath: String
    let supervisor: SupervisedChild

    /// The broker process running now (or the one that exited last).
    var process: ChildProcess { supervisor.current }
    /// The process id of ``process``.
    public var pid: Int32 { process.pid ?? 0 }

    /// Writes the config, starts mosquitto and waits until it accepts connections. Port 0 picks a free port
    /// (`pickPort`, a test seam); a given port that is taken fails the start with an error naming the process that
    /// holds it.
    public static func start(
        host: String, mqttPort: Int, websocketsPort: Int, dataDirectory: String, metrics: RunnerMetrics? = nil,
        logger: Logger, pickPort: (String) throws(LocalRunnerError) -> Int = freePort(host:)
    ) async throws(LocalRunnerError) -> BrokerProcess {
        guard let binary = findExecutable("mosquitto", extra: ["/usr/sbin", "/usr/local/sbin"]) else {
            throw LocalRunnerError(
                .broker, "mosquitto is not installed (apt-get install mosquitto), or pass --mqtt-url")
        }
        let configPath = URL(fileURLWithPath: dataDirectory).appendingPathComponent("mosquitto.conf").path
        let security = try Security.prepare(dataDirectory: dataDirectory)
        let pidPath = URL(fileURLWithPath: dataDirectory).appendingPathComponent("mosquitto.pid").path
        stopStale(pidPath: pidPath, configPath: configPath, logger: logger)
        let advice = "pass --mqtt-url to use a broker that is already running, or stop that process"
        for (port, flag) in [(mqttPort, "--mqtt-port"), (websocketsPort, "--mqtt-ws-port")] where port != 0 {
            try PortHolder.ensureFree(
                host: host, port: port, code: .broker, advice: "choose another \(flag), " + advice)
        }
        // A port picked here is free now but may be taken (by another process's outgoing connection, say) before
        // mosquitto binds it; then mosquitto exits and the start is tried again on newly picked ports.
        var attempt = 1
        while true {
            let mqtt = mqttPort == 0 ? try pickPort(host) : mqttPort
            var ws = websocketsPort == 0 ? try pickPort(host) : websocketsPort
            while ws == mqtt { ws = try pickPort(host) }
            let config = Self.config(
                host: host, mqttPort: mqtt, websocketsPort: ws, persistenceDirectory: dataDirectory,
                security: security)
            do {
                try config.write(toFile: configPath, atomically: true, encoding: .utf8)
            } catch {
                throw LocalRunnerError(.io, "cannot write \(configPath): \(error.localizedDescription)")
            }
            let ports = Ports(mqtt: mqtt, websockets: ws)
            let launch: SupervisedChild.Launch = { () throws(LocalRunnerError) in
                try await Self.launch(
                    binary, configPath: configPath, pidPath: pidPath, host: host, ports: ports, logger: logger)
            }
            let first: ChildProcess
            do {
                first = try await launchOnce(
                    binary, configPath: configPath, pidPath: pidPath, host: host, ports: ports, logger: logger)
            } catch {
                guard error.exitedBeforeListening, attempt < pickAttempts, mqttPort == 0 || websocketsPort == 0
                else { throw error.error }
                logger.warning(
                    "mosquitto could not listen on the picked ports; picking others",
                    metadata: ["attempt": "\(attempt)", "error": "\(error.error.message)"])
                attempt += 1
                continue
            }
            let supervisor = SupervisedChild(
                name: "mosquitto", running: first, metrics: metrics, logger: logger, launch: launch)
            return BrokerProcess(
                host: host, ports: ports, admin: security.admin, configPath: configPath, pidPath: pidPath,
                supervisor: supervisor)
        }
    }

    /// How many times ``start`` picks ports when mosquitto exits because one it was given is taken.
    static let pickAttempts = 5

    init(
        host: String, ports: Ports, admin: MQTTCredentials, configPath: String, pidPath: String,
        supervisor: SupervisedChild
    ) {
        self.host = host
        self.ports = ports
        self.admin = admin
        self.configPath = configPath
        self.pidPath = pidPath
        self.supervisor = supervisor
    }

    /// Starts one mosquitto on the written config and waits until both listeners accept connections.
    static func launch(
        _ binary: String, configPath: String, pidPath: String, host: String, ports: Ports, logger: Logger
    ) async throws(LocalRunnerError) -> ChildProcess {
        do {
            return try await launchOnce(
                binary, configPath: configPath, pidPath: pidPath, host: host, ports: ports, logger: logger)
        } catch {
            throw error.error
        }
    }

    /// Why a launch failed, and whether mosquitto exited before it listened (as when a port it was given is taken).
    struct LaunchFailure: Error {
        let error: LocalRunnerError
        let exitedBeforeListening: Bool
    }

    /// ``launch``, saying whether mosquitto exited before it listened.
    static func launchOnce(
        _ binary: String, configPath: String, pidPath: String, host: String, ports: Ports, logger: Logger
    ) async throws(LaunchFailure) -> ChildProcess {
        let log = ChildOutputLog(prefix: "mosquitto", logger: logger)
        let process: ChildProcess
        let pid: Int32
        do {
            process = try ChildProcess.start(
                binary, arguments: ["-c", configPath], output: log.output(stream: "stdout", level: .warning),
                error: log.output(stream: "stderr", level: .warning))
            pid = try await process.spawned()
        } catch {
            throw LaunchFailure(
                error: LocalRunnerError(.broker, "cannot start \(binary): \(error.message)", underlying: error),
                exitedBeforeListening: false)
        }
        try? "\(pid)\n".write(toFile: pidPath, atomically: true, encoding: .utf8)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, !Task.isCancelled {
            if let termination = process.termination {
                let output = log.lastLines
                let message =
                    "mosquitto \(termination) before it listened on \(host):\(ports.mqtt) and \(ports.websockets)"
                    + (output.isEmpty ? "" : ": \(output)")
                throw LaunchFailure(error: LocalRunnerError(.broker, message), exitedBeforeListening: true)
            }
            if canConnect(host: host, port: ports.mqtt) && canConnect(host: host, port: ports.websockets) {
                return process
            }
            try? await Task.sleep(for: .milliseconds(25))
        }
        await process.terminate(grace: stopGrace)
        throw LaunchFailure(
            error: LocalRunnerError(.broker, "mosquitto did not start listening on \(host):\(ports.mqtt) within 10 s"),
            exitedBeforeListening: false)
    }

    /// The generated mosquitto.conf; with a `persistenceDirectory`, sessions, subscriptions and queued messages
    /// are saved there (`mosquitto.db`) every 2 s and at exit, and loaded at start. With `security`, anonymous
    /// clients are refused and the dynamic security plugin decides (on both listeners); without, anyone may
    /// connect (kept for tests of the broker alone).
    ///
    /// `stayRoot` (a runner running as root) adds `user root`: a mosquitto started as root otherwise switches to
    /// the `mosquitto` user, and the kernel clears a process's parent-death signal when its credentials change,
    /// so that broker would outlive a crashed runner. mosquitto then logs that it should not run as root.
    public static func config(
        host: String, mqttPort: Int, websocketsPort: Int, persistenceDirectory: String? = nil,
        security: Security? = nil, stayRoot: Bool = geteuid() == 0
    ) -> String {
        let access =
            security.map {
                """
                allow_anonymous false
                plugin \($0.plugin)
                plugin_opt_config_file \($0.statePath)
                """
            } ?? "allow_anonymous true"
        let user =
            stayRoot
            ? "# Keep the runner's user: switching users would clear the parent-death signal.\nuser root\n" : ""
        let persistence =
            persistenceDirectory.map { directory in
                let location = URL(fileURLWithPath: directory).standardizedFileURL.path
                return """
                    persistence true
                    persistence_location \(location.hasSuffix("/") ? location : location + "/")
                    persistence_file mosquitto.db
                    # Saved every 2 s (and at exit): a crash loses at most what changed in that time.
                    autosave_interval 1
                    """
            } ?? "persistence false"
        return """
            # Generated by evcsm-local; rewritten on every start.
            \(user)per_listener_settings false
            \(access)
            \(persistence)
            # Never drop QoS 1 messages: unlimited per-client queue (the default of 1000 lost messages in bursts).
            max_queued_messages 0
            max_queued_bytes 0
            log_dest stdout
            log_type error
            log_type warning
            log_timestamp false

            listener \(mqttPort) \(host)
            protocol mqtt

            listener \(websocketsPort) \(host)
            protocol websockets

            """
    }

    /// Time mosquitto gets to exit after SIGTERM (it saves its database then) before it is SIGKILLed.
    static let stopGrace: Duration = .seconds(5)

    /// Stops supervising, then stops the broker and waits for it to exit: SIGTERM, SIGKILL after ``stopGrace``.
    public func stop() async {
        await supervisor.stop(grace: Self.stopGrace)
        try? FileManager.default.removeItem(atPath: pidPath)
    }

    /// Kills a broker left behind by an earlier runner that was killed, if the pid file names one of ours (since
    /// brokers die with their runner, only one that lost that race, or one of an older evcsm-local).
    static func stopStale(pidPath: String, configPath: String, logger: Logger) {
        guard let text = try? String(contentsOfFile: pidPath, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let cmdline = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
            cmdline.contains("mosquitto"), cmdline.contains(configPath)
        else { return }
        logger.warning("stopping a mosquitto (pid \(pid)) left behind by a previous run")
        kill(pid, SIGKILL)
        for _ in 0..<100 where kill(pid, 0) == 0 { usleep(20_000) }
    }

    static func findExecutable(_ name: String, extra: [String]) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":").map(String.init) + extra {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A currently free TCP port on `host`.
    public static func freePort(host: String) throws(LocalRunnerError) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LocalRunnerError(.io, "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw LocalRunnerError(.io, "cannot bind a free port on \(host)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a TCP connection to host:port succeeds.
    static func canConnect(host: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
