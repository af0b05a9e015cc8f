import CMosquitto
import Essentials
import Foundation
import Logging
import Synchronization

/// One MQTT message as the runner sees it.
public struct MQTTMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    public var retain: Bool
    /// Milliseconds since the epoch when the runner received it.
    public var receivedAt: Int64

    public init(topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = false, receivedAt: Int64 = 0) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.receivedAt = receivedAt
    }
}

/// Where an MQTT broker listens: `mqtt://host:port`.
public struct MQTTEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `mqtt://host[:port]` (also `tcp://` or a bare `host:port`).
    public init(url: String) throws(LocalRunnerError) {
        var rest = Substring(url)
        for scheme in ["mqtt://", "tcp://"] where rest.hasPrefix(scheme) { rest = rest.dropFirst(scheme.count) }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        let parts = rest.split(separator: ":")
        guard let host = parts.first, !host.isEmpty, parts.count <= 2 else {
            throw LocalRunnerError(.configuration, "not an MQTT URL: \(url)")
        }
        let port = parts.count == 2 ? Int(parts[1]) : 1883
        guard let port, (1...65535).contains(port) else {
            throw LocalRunnerError(.configuration, "bad port in MQTT URL: \(url)")
        }
        self.init(host: String(host), port: port)
    }

    public var description: String { "mqtt://\(host):\(port)" }
}

/// A libmosquitto client: connects in the background, reconnects every second while the broker is away,
/// re-subscribes on every connect (QoS 1) and hands each message to `onMessage`.
///
/// libmosquitto calls back on its own network thread; the `@convention(c)` callbacks below reach this
/// object through the user-data pointer and hand work to Swift concurrency via `onMessage`.
public final class MQTTConnection: Sendable {
    struct State {
        var connected = false
        var closed = false
        var connectWaiters: [CheckedContinuation<Bool, Never>] = []
        var subscriptions: [String] = []
        var hasConnected = false
    }

    static let libraryInitialised: Bool = {
        mosquitto_lib_init()
        return true
    }()

    nonisolated(unsafe) let handle: OpaquePointer
    let endpoint: MQTTEndpoint
    let logger: Logger
    let onMessage: @Sendable (MQTTMessage) -> Void
    let state = Mutex(State())

    /// Creates a client; call ``start()`` to connect. With `credentials`, it signs in with that user name and
    /// password (the started broker allows no anonymous client).
    public init(
        endpoint: MQTTEndpoint, clientID: String, cleanSession: Bool = true, credentials: MQTTCredentials? = nil,
        logger: Logger, onMessage: @escaping @Sendable (MQTTMessage) -> Void
    ) throws(LocalRunnerError) {
        _ = Self.libraryInitialised
        guard let handle = mosquitto_new(clientID, cleanSession, nil) else {
            throw LocalRunnerError(.broker, "mosquitto_new failed")
        }
        self.handle = handle
        self.endpoint = endpoint
        self.logger = logger
        self.onMessage = onMessage
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311)
        if let credentials, mosquitto_username_pw_set(handle, credentials.username, credentials.password) != 0 {
            throw LocalRunnerError(.broker, "mosquitto_username_pw_set failed for \(credentials.username)")
        }
        mosquitto_connect_callback_set(handle, mqttConnectCallback)
        mosquitto_disconnect_callback_set(handle, mqttDisconnectCallback)
        mosquitto_message_callback_set(handle, mqttMessageCallback)
        // Retry every second (libmosquitto's delays are whole seconds): a broker that comes back, after a
        // restart by the runner, has the bridge re-connected and re-subscribed within 2 s.
        mosquitto_reconnect_delay_set(handle, 1, 1, false)
        mosquitto_max_inflight_messages_set(handle, 100)
    }

    deinit {
        mosquitto_destroy(handle)
    }

    /// Starts the network thread and the first connection attempt.
    public func start() throws(LocalRunnerError) {
        let rc = mosquitto_connect_async(handle, endpoint.host, Int32(endpoint.port), 30)
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            logger.warning("MQTT connect to \(endpoint) failed (\(Self.describe(rc))); retrying in the background")
        }
        let loop = mosquitto_loop_start(handle)
        guard loop == MOSQ_ERR_SUCCESS.rawValue else {
            throw LocalRunnerError(.broker, "mosquitto_loop_start failed: \(Self.describe(loop))")
        }
        if rc != MOSQ_ERR_SUCCESS.rawValue { mosquitto_reconnect_async(handle) }
    }

    /// Subscribes (QoS 1) now if connected and again after every reconnect.
    public func subscribe(_ filters: [String]) {
        let connected = state.withLock { s -> Bool in
            s.subscriptions.append(contentsOf: filters.filter { !s.subscriptions.contains($0) })
            return s.connected
        }
        if connected { for filter in filters { mosquitto_subscribe(handle, nil, filter, 1) } }
    }

    /// Whether the client is connected right now.
    public var isConnected: Bool { state.withLock { $0.connected } }

    /// Waits until connected, or gives up after `timeout`.
    public func waitUntilConnected(timeout: Duration) async -> Bool {
        if isConnected { return true }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.wakeConnectWaiters(false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let now = state.withLock { s -> Bool? in
                if s.connected { return true }
                if s.closed { return false }
                s.connectWaiters.append(continuation)
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    func wakeConnectWaiters(_ value: Bool) {
        let waiters = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            defer { s.connectWaiters = [] }
            return s.connectWaiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// Publishes a message; throws when not connected or libmosquitto refuses it.
    public func publish(topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = false) throws(LocalRunnerError) {
        let rc = payload.withUnsafeBytes { bytes in
            mosquitto_publish(handle, nil, topic, Int32(bytes.count), bytes.baseAddress, Int32(qos), retain)
        }
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            throw LocalRunnerError(.broker, "publish to \(topic) failed: \(Self.describe(rc))")
        }
    }

    /// Disconnects and stops the network thread.
    public func close() {
        let already = state.withLock { s -> Bool in
            defer { s.closed = true }
            return s.closed
        }
        guard !already else { return }
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, true)
        wakeConnectWaiters(false)
    }

    // MARK: Called on libmosquitto's thread

    /// The broker accepted the connection: subscribes to every filter, then reports connected.
    ///
    /// In that order: a caller woken by ``waitUntilConnected(timeout:)`` may publish at once, and a publish
    /// queued before the SUBSCRIBE would be answered (the dynamic security plugin's reply) before the
    /// subscription exists, and lost. A filter added meanwhile by ``subscribe(_:)`` (which subscribes only once
    /// connected) is subscribed here too. `subscribeFilter` is `mosquitto_subscribe` (a test seam).
    func didConnect(_ rc: Int32, subscribeFilter: ((String) -> Void)? = nil) {
        guard rc == 0 else {
            logger.warning("MQTT connection to \(endpoint) refused: \(String(cString: mosquitto_connack_string(rc)))")
            return
        }
        let subscribeFilter = subscribeFilter ?? { [handle] in _ = mosquitto_subscribe(handle, nil, $0, 1) }
        var subscribed = 0
        var again = false
        while true {
            let filters = state.withLock { s -> [String] in
                guard subscribed == s.subscriptions.count else { return Array(s.subscriptions[subscribed...]) }
                again = s.hasConnected
                s.hasConnected = true
                s.connected = true
                return []
            }
            if filters.isEmpty { break }
            for filter in filters { subscribeFilter(filter) }
            subscribed += filters.count
        }
        if again {
            logger.notice("MQTT reconnected to \(endpoint); subscribed again to \(subscribed) topic filters")
        } else {
            logger.debug("MQTT connected to \(endpoint)")
        }
        wakeConnectWaiters(true)
    }

    func didDisconnect(_ rc: Int32) {
        let closed = state.withLock { s -> Bool in
            s.connected = false
            return s.closed
        }
        if !closed { logger.warning("MQTT connection to \(endpoint) lost (\(Self.describe(rc))); reconnecting") }
    }

    func didReceive(_ message: UnsafePointer<mosquitto_message>) {
        let m = message.pointee
        let topic = String(cString: m.topic)
        let payload: [UInt8] =
            m.payloadlen > 0 && m.payload != nil
            ? Array(UnsafeRawBufferPointer(start: m.payload, count: Int(m.payloadlen))) : []
        let now = Timestamp.nowMilliseconds()
        onMessage(MQTTMessage(topic: topic, payload: payload, qos: Int(m.qos), retain: m.retain, receivedAt: now))
    }

    static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(errno)) }
        return String(cString: mosquitto_strerror(rc))
    }
}

private func connection(_ obj: UnsafeMutableRawPointer?) -> MQTTConnection? {
    guard let obj else { return nil }
    return Unmanaged<MQTTConnection>.fromOpaque(obj).takeUnretainedValue()
}

private func mqttConnectCallback(_ mosq: OpaquePointer?, _ obj: UnsafeMutableRawPointer?, _ rc: Int32) {
    connection(obj)?.didConnect(rc)
}

private func mqttDisconnectCallback(_ mosq: OpaquePointer?, _ obj: UnsafeMutableRawPointer?, _ rc: Int32) {
    connection(obj)?.didDisconnect(rc)
}

private func mqttMessageCallback(
    _ mosq: OpaquePointer?, _ obj: UnsafeMutableRawPointer?, _ message: UnsafePointer<mosquitto_message>?
) {
    guard let message else { return }
    connection(obj)?.didReceive(message)
}
