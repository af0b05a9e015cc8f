import ChargingWire
import Essentials
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging

/// A simulated OCPP 1.6J charge point (OCPP-J over WebSocket, security profile 1).
///
/// It connects offering the subprotocol `ocpp1.6` with HTTP Basic auth, sends BootNotification (vendor `evcsm`,
/// model `sim`), then Heartbeat at the interval the CSMS returned and a StatusNotification per connector. It keeps
/// at most one CALL outstanding (OCPP-J §4.1.1; the others wait in a queue), answers the CSMS's CALLs (see
/// `OcppChargePoint+Csms.swift`), and meters its transactions (`OcppChargePoint+Charging.swift`). After a drop it
/// reconnects with backoff and, as real chargers do, sends no new BootNotification — only a hard reset reboots.
public actor OcppChargePoint {
    /// One connector's state.
    struct Connector {
        var status = "Available"
        var transactionId: Int64?
        var idTag: String?
        /// The energy register (Energy.Active.Import.Register) in Wh; it grows across transactions.
        var meterWh = 0.0
        var lastTick: ContinuousClock.Instant?
        /// A MeterValues for this connector waits in the queue (so that a slow CSMS does not pile them up).
        var meterPending = false
    }

    /// One CALL waiting for its turn or for its answer.
    struct PendingCall {
        let messageId: String
        let action: String
        let payload: OcppJSON
        let continuation: CheckedContinuation<OcppJSON, any Error>
    }

    public nonisolated let configuration: OcppChargePointConfiguration
    let logger: Logger
    var connectors: [Int: Connector]
    /// The configuration keys (GetConfiguration / ChangeConfiguration); `readOnlyKeys` cannot be changed.
    var settings: [String: String]
    let readOnlyKeys: Set<String> = ["NumberOfConnectors", "MeterValuesSampledData"]
    var heartbeatInterval: Duration
    /// Whether a BootNotification was accepted since the last (re)boot.
    var booted = false
    /// A boot sequence runs (so that a reconnect or a TriggerMessage does not start a second one).
    var booting = false
    var lastHeartbeat = ContinuousClock.now
    var outbound: WebSocketOutboundWriter?
    /// Connections made so far (1 for the first).
    public private(set) var connectionCount = 0
    var queue: [PendingCall] = []
    var inFlight: PendingCall?
    var inFlightTimeout: Task<Void, Never>?
    var connectTask: Task<Void, Never>?
    var tasks: [Task<Void, Never>] = []
    var stopped = false

    public init(configuration: OcppChargePointConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "chargePointId"] = "\(configuration.chargePointId)"
        self.logger = logger
        connectors = Dictionary(uniqueKeysWithValues: (1...configuration.connectors).map { ($0, Connector()) })
        heartbeatInterval = configuration.defaultHeartbeatInterval
        settings = [
            "HeartbeatInterval": String(Int(configuration.defaultHeartbeatInterval / .seconds(1))),
            "MeterValueSampleInterval": String(Int(OcppChargePointConfiguration.sampleIntervalSeconds)),
            "MeterValuesSampledData": "Energy.Active.Import.Register",
            "NumberOfConnectors": String(configuration.connectors),
            "AuthorizeRemoteTxRequests": "false",
        ]
    }

    /// Starts connecting (and reconnecting), heartbeats and meter values in the background.
    public func start() {
        guard connectTask == nil, !stopped else { return }
        connectTask = Task { await self.connectLoop() }
        tasks.append(Task { await self.heartbeatLoop() })
        tasks.append(Task { await self.meterLoop() })
    }

    /// Closes the connection (a clean close handshake), gives up every waiting CALL and stops the background work.
    public func stop() async {
        stopped = true
        for task in tasks { task.cancel() }
        tasks = []
        failAll(OcppSimulatorError(.stopped, "the charge point stopped"))
        if let writer = outbound {
            outbound = nil
            // The connect loop ends once the close handshake is done (it does not reconnect when stopped).
            try? await writer.close(.normalClosure, reason: "charge point stopped")
        } else {
            connectTask?.cancel()
        }
        await connectTask?.value
        connectTask = nil
    }

    /// Whether a connection is open now.
    public var isConnected: Bool { outbound != nil }

    /// The status of connector `connectorId` (nil for an unknown connector).
    public func status(connectorId: Int) -> String? { connectors[connectorId]?.status }

    /// The running transaction on connector `connectorId`.
    public func transactionId(connectorId: Int) -> Int64? { connectors[connectorId]?.transactionId }

    // MARK: Connection

    func connectLoop() async {
        var delay = configuration.reconnectDelay
        while !stopped && !Task.isCancelled {
            var headers = HTTPFields()
            headers[.secWebSocketProtocol] = OcppChargePointConfiguration.subprotocol
            headers[.authorization] = configuration.authorizationHeader
            let client = WebSocketClient(
                url: configuration.url,
                configuration: .init(
                    maxFrameSize: OcppChargePointConfiguration.maximumMessageSize, additionalHeaders: headers,
                    closeTimeout: .seconds(3)),
                logger: logger
            ) { inbound, outbound, _ in
                await self.connected(outbound)
                for try await message in inbound.messages(maxSize: OcppChargePointConfiguration.maximumMessageSize) {
                    guard case .text(let text) = message else { continue }
                    await self.receive(Array(text.utf8))
                }
            }
            let before = connectionCount
            do {
                let close = try await client.run()
                logger.info("OCPP: connection closed (\(close.map { "\($0.closeCode)" } ?? "no close frame"))")
            } catch {
                guard !stopped else { return }
                let refused = (error as? WebSocketClientError) == .webSocketUpgradeFailed
                let hint = refused ? " (handshake refused: unknown charger or wrong password?)" : ""
                logger.warning("OCPP: connection to \(configuration.url) failed or dropped: \(error)\(hint)")
            }
            outbound = nil
            let wasConnected = connectionCount > before
            if wasConnected { delay = configuration.reconnectDelay }
            guard !stopped, (try? await Task.sleep(for: delay)) != nil else { return }
            if !wasConnected { delay = min(delay * 2, configuration.maxReconnectDelay) }
        }
    }

    func connected(_ writer: WebSocketOutboundWriter) async {
        guard !stopped else {
            try? await writer.close(.normalClosure, reason: "charge point stopped")
            return
        }
        outbound = writer
        connectionCount += 1
        logger.info("OCPP: connected to \(configuration.url) (connection \(connectionCount))")
        // A CALL sent on the dropped connection is sent again (its answer was lost with it).
        if let call = inFlight {
            inFlightTimeout?.cancel()
            inFlight = nil
            queue.insert(call, at: 0)
        }
        if !booted { Task { await self.boot() } }
        await pump()
    }

    /// Writes one frame on the open connection; false when there is none or the write failed.
    @discardableResult
    func write(_ frame: OcppFrame) async -> Bool {
        guard let outbound else { return false }
        do {
            try await outbound.write(.text(frame.text))
            return true
        } catch {
            logger.warning("OCPP: write failed: \(error)")
            return false
        }
    }

    /// Closes the current connection (the connect loop then reconnects).
    func dropConnection(reason: String) async {
        let writer = outbound
        outbound = nil
        try? await writer?.close(.normalClosure, reason: reason)
    }

    // MARK: CALLs to the CSMS

    /// Sends the CALL `action` when it is its turn (one outstanding at a time; before an accepted
    /// BootNotification only BootNotification goes out) and returns the CALLRESULT payload.
    func call(_ action: String, _ payload: OcppJSON) async throws -> OcppJSON {
        guard !stopped else { throw OcppSimulatorError(.stopped, "the charge point stopped") }
        return try await withCheckedThrowingContinuation { continuation in
            queue.append(
                PendingCall(
                    messageId: UUID().uuidString, action: action, payload: payload, continuation: continuation))
            Task { await self.pump() }
        }
    }

    /// Sends the next queued CALL if none is outstanding and the connection is open.
    func pump() async {
        guard inFlight == nil, outbound != nil, !stopped else { return }
        guard let index = queue.firstIndex(where: { booted || $0.action == "BootNotification" }) else { return }
        let call = queue.remove(at: index)
        inFlight = call
        let timeout = configuration.callTimeout
        inFlightTimeout = Task { [messageId = call.messageId] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            await self.finish(
                messageId, .failure(OcppSimulatorError(.callTimeout, "no answer to \(call.action) in \(timeout)")))
        }
        logger.debug("OCPP: → \(call.action) \(call.payload.text)")
        if !(await write(.call(messageId: call.messageId, action: call.action, payload: call.payload))) {
            // Not sent: it goes out again on the next connection (see connected(_:)).
            logger.debug("OCPP: \(call.action) waits for the next connection")
        }
    }

    /// Ends the outstanding CALL `messageId` (answered, failed or timed out) and sends the next.
    func finish(_ messageId: String, _ result: Result<OcppJSON, OcppSimulatorError>) async {
        guard let call = inFlight, call.messageId == messageId else {
            logger.debug("OCPP: answer to \(messageId) ignored (not outstanding)")
            return
        }
        inFlight = nil
        inFlightTimeout?.cancel()
        inFlightTimeout = nil
        call.continuation.resume(with: result.mapError { $0 as any Error })
        await pump()
    }

    func failAll(_ error: OcppSimulatorError) {
        inFlightTimeout?.cancel()
        let waiting = (inFlight.map { [$0] } ?? []) + queue
        inFlight = nil
        queue = []
        for call in waiting { call.continuation.resume(throwing: error) }
    }

    // MARK: Frames from the CSMS

    func receive(_ bytes: [UInt8]) async {
        switch OcppFrame.parse(bytes) {
        case .failure(let error):
            logger.warning("OCPP: unreadable frame from the CSMS: \(error.description)")
            if error.isAnswered { await write(error.answer) }
        case .success(.callResult(let messageId, let payload)):
            await finish(messageId, .success(payload))
        case .success(.callError(let messageId, let code, let description, _)):
            await finish(messageId, .failure(OcppSimulatorError(.callError, "\(code): \(description)")))
        case .success(.call(let messageId, let action, let payload)):
            logger.info("OCPP: ← \(action) \(payload.text)")
            let (outcome, followUp) = respond(to: action, payload)
            let answer: OcppFrame
            switch outcome {
            case .success(let result): answer = .callResult(messageId: messageId, payload: result)
            case .failure(let error): answer = .error(answering: messageId, error.code, error.description)
            }
            guard await write(answer) else { return }
            if let followUp { Task { await self.perform(followUp) } }
        }
    }
}
