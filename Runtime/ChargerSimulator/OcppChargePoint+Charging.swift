import ChargingWire
import Essentials
import Foundation

/// What the charge point sends of its own accord: boot, heartbeats, connector statuses, transactions and their
/// meter values (Energy.Active.Import.Register in Wh at maxPower × speed).
extension OcppChargePoint {
    /// BootNotification until Accepted (Pending or Rejected: again after the returned interval); the interval
    /// becomes the Heartbeat interval. After the first acceptance since a (re)boot, a StatusNotification per
    /// connector.
    func boot() async {
        guard !booting else { return }
        booting = true
        defer { booting = false }
        while !stopped {
            let payload: OcppJSON = [
                "chargePointVendor": .string(OcppChargePointConfiguration.vendor),
                "chargePointModel": .string(OcppChargePointConfiguration.model),
                "chargePointSerialNumber": .string(String(configuration.chargePointId.prefix(25))),
                "firmwareVersion": "1.0",
            ]
            var retry = Duration.seconds(10)
            do {
                let result = try await call("BootNotification", payload)
                let status = result["status"]?.stringValue ?? "?"
                if let seconds = result["interval"]?.int64Value, seconds > 0 {
                    retry = .seconds(seconds)
                    heartbeatInterval = .seconds(seconds)
                    settings["HeartbeatInterval"] = String(seconds)
                }
                if status == "Accepted" {
                    let firstSinceReboot = !booted
                    booted = true
                    lastHeartbeat = .now
                    logger.info("OCPP: BootNotification accepted; heartbeat every \(heartbeatInterval)")
                    await pump()
                    guard firstSinceReboot else { return }
                    for connectorId in connectors.keys.sorted() { await statusNotification(connectorId: connectorId) }
                    return
                }
                logger.warning("OCPP: BootNotification \(status); trying again in \(retry)")
            } catch {
                guard !stopped else { return }
                logger.warning("OCPP: BootNotification failed: \(error)")
            }
            guard (try? await Task.sleep(for: retry)) != nil else { return }
        }
    }

    /// A Heartbeat each interval while booted and connected (checked every second, so that a new interval
    /// applies at once).
    func heartbeatLoop() async {
        while !Task.isCancelled {
            let due = lastHeartbeat + heartbeatInterval
            guard (try? await Task.sleep(until: min(due, .now + .seconds(1)))) != nil else { return }
            if booted, outbound != nil, ContinuousClock.now >= lastHeartbeat + heartbeatInterval { await heartbeat() }
        }
    }

    func heartbeat() async {
        lastHeartbeat = .now
        await callIgnoringErrors("Heartbeat", [:])
    }

    /// Every ``OcppChargePointConfiguration/meterInterval``: the registers of charging connectors advance and,
    /// when connected, a MeterValues goes out for each (at most one queued per connector).
    func meterLoop() async {
        while !Task.isCancelled {
            guard (try? await Task.sleep(for: configuration.meterInterval)) != nil else { return }
            for (connectorId, connector) in connectors where connector.transactionId != nil {
                advanceMeter(connectorId: connectorId)
                guard booted, outbound != nil, !connector.meterPending else { continue }
                connectors[connectorId]?.meterPending = true
                Task { await self.sendMeterValues(connectorId: connectorId) }
            }
        }
    }

    /// The register of `connectorId` grows by maxPower × speed × the time since the last tick (while charging).
    func advanceMeter(connectorId: Int) {
        guard var connector = connectors[connectorId], connector.transactionId != nil else { return }
        let now = ContinuousClock.now
        if let last = connector.lastTick {
            connector.meterWh +=
                configuration.maxPowerKW * 1000 * configuration.speed * ((now - last) / .seconds(1)) / 3600
        }
        connector.lastTick = now
        connectors[connectorId] = connector
    }

    /// MeterValues with the register of `connectorId` (and its transaction, if one runs).
    func sendMeterValues(connectorId: Int) async {
        advanceMeter(connectorId: connectorId)
        guard let connector = connectors[connectorId] else { return }
        let sample: OcppJSON = [
            "value": .string(String(Int64(connector.meterWh.rounded(.down)))), "context": "Sample.Periodic",
            "measurand": "Energy.Active.Import.Register", "unit": "Wh",
        ]
        var payload: [String: OcppJSON] = [
            "connectorId": .integer(Int64(connectorId)),
            "meterValue": [["timestamp": .string(Self.now()), "sampledValue": [sample]]],
        ]
        if let transactionId = connector.transactionId { payload["transactionId"] = .integer(transactionId) }
        await callIgnoringErrors("MeterValues", .object(payload))
        connectors[connectorId]?.meterPending = false
    }

    func statusNotification(connectorId: Int) async {
        guard let status = connectors[connectorId]?.status else { return }
        await callIgnoringErrors(
            "StatusNotification",
            [
                "connectorId": .integer(Int64(connectorId)), "errorCode": "NoError", "status": .string(status),
                "timestamp": .string(Self.now()),
            ])
    }

    /// Preparing → StartTransaction (meterStart = the register) → Charging; an idTag the CSMS did not accept
    /// ends the transaction at once (DeAuthorized). A StartTransaction that fails leaves the connector Available.
    func startTransaction(connectorId: Int, idTag: String) async {
        guard let connector = connectors[connectorId] else { return }
        await statusNotification(connectorId: connectorId)
        let meterStart = Int64(connector.meterWh.rounded(.down))
        do {
            let result = try await call(
                "StartTransaction",
                [
                    "connectorId": .integer(Int64(connectorId)), "idTag": .string(idTag),
                    "meterStart": .integer(meterStart), "timestamp": .string(Self.now()),
                ])
            guard let transactionId = result["transactionId"]?.int64Value else {
                throw OcppSimulatorError(.callError, "StartTransaction answer without a transactionId")
            }
            connectors[connectorId]?.transactionId = transactionId
            connectors[connectorId]?.idTag = idTag
            connectors[connectorId]?.lastTick = .now
            connectors[connectorId]?.status = "Charging"
            let tagStatus = result["idTagInfo"]?["status"]?.stringValue ?? "?"
            guard tagStatus == "Accepted" else {
                logger.warning("OCPP: transaction \(transactionId): idTag \(idTag) is \(tagStatus); stopping")
                await stopTransaction(connectorId: connectorId, reason: "DeAuthorized")
                return
            }
            logger.info(
                "OCPP: transaction \(transactionId) started on connector \(connectorId) (meterStart \(meterStart) Wh)")
            await statusNotification(connectorId: connectorId)
        } catch {
            logger.warning("OCPP: StartTransaction on connector \(connectorId) failed: \(error)")
            connectors[connectorId]?.status = "Available"
            await statusNotification(connectorId: connectorId)
        }
    }

    /// StopTransaction (meterStop = the register, `reason`) → Available.
    func stopTransaction(connectorId: Int, reason: String) async {
        advanceMeter(connectorId: connectorId)
        guard let connector = connectors[connectorId], let transactionId = connector.transactionId else { return }
        connectors[connectorId]?.transactionId = nil
        connectors[connectorId]?.idTag = nil
        connectors[connectorId]?.lastTick = nil
        connectors[connectorId]?.status = "Finishing"
        let meterStop = Int64(connector.meterWh.rounded(.down))
        var payload: [String: OcppJSON] = [
            "transactionId": .integer(transactionId), "meterStop": .integer(meterStop),
            "timestamp": .string(Self.now()), "reason": .string(reason),
        ]
        if let idTag = connector.idTag { payload["idTag"] = .string(idTag) }
        logger.info("OCPP: transaction \(transactionId) stopping (\(reason), meterStop \(meterStop) Wh)")
        await callIgnoringErrors("StopTransaction", .object(payload))
        connectors[connectorId]?.status = "Available"
        await statusNotification(connectorId: connectorId)
    }

    func callIgnoringErrors(_ action: String, _ payload: OcppJSON) async {
        do {
            _ = try await call(action, payload)
        } catch {
            if !stopped { logger.warning("OCPP: \(action) failed: \(error)") }
        }
    }

    static func now() -> String { Timestamp.format(Date()) }
}
