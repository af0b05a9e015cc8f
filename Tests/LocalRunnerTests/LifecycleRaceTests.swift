import ChargerSimulator
import ChargingWire
import Essentials
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import LocalRunner

/// Interleavings that the actors allow between awaits, driven deterministically.
@Suite("Lifecycle races")
struct LifecycleRaceTests {
    @Test("a worker stopped while it was starting never spawns its process (no orphan at shutdown)")
    func stoppedWhileStarting() async throws {
        let worker = WorkerProcess(
            function: FunctionDefinition(logicalId: "Sleeper"), number: 1, binary: "/bin/sleep",
            environment: [:], logger: Logger(label: "test"), metrics: RunnerMetrics(), onExit: { _ in })
        // stop() runs at start()'s first suspension point during a shutdown; model it by stopping first.
        await worker.stop()
        await #expect(throws: LocalRunnerError.self) { try await worker.start() }
        #expect(worker.pid == nil)
    }

    @Test("a worker spawn that was waiting for the runner environment does not start after shutdown")
    func spawnAfterShutdown() async throws {
        let environment = AsyncValue<[String: String]>()
        let queue = InvocationQueue(
            function: FunctionDefinition(logicalId: "Sleeper"), binary: "/bin/sleep", concurrency: 1,
            environment: environment, metrics: RunnerMetrics(), logger: Logger(label: "test"))
        let prewarm = Task { await queue.prewarm() }
        while environment.state.withLock({ $0.waiters.isEmpty }) { await Task.yield() }
        await queue.shutdown()
        environment.set([:])
        await prewarm.value
        #expect(queue.workers.isEmpty)
        #expect(queue.idle.isEmpty)
    }

    @Test("invocations that arrive before the runner environment is set respect the concurrency limit")
    func concurrencyBeforeEnvironment() async throws {
        let environment = AsyncValue<[String: String]>()
        let queue = InvocationQueue(
            function: FunctionDefinition(logicalId: "Sleeper"), binary: "/bin/sleep", concurrency: 1,
            environment: environment, metrics: RunnerMetrics(), logger: Logger(label: "test"))
        let first = Task { await queue.invoke(payload: [], requestID: "r1") }
        let second = Task { await queue.invoke(payload: [], requestID: "r2") }
        // Both invocations are parked: on the environment (spawning a worker) or in the queue.
        while environment.state.withLock({ $0.waiters.count }) + queue.waiting.count < 2 { await Task.yield() }
        #expect(environment.state.withLock { $0.waiters.count } == 1)
        #expect(queue.waiting.count == 1)
        let stopping = Task { await queue.shutdown() }
        environment.set([:])
        _ = await (first.value, second.value)
        await stopping.value
    }

    @Test("a session stopped while the simulator looks up its maxPower is not metered")
    func simulatorStopDuringLookUp() async throws {
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let router = Router()
        router.get("/api/ChargingSessionAPI/sessions/{id}") { _, _ -> Response in
            arrived.yield()
            for await _ in gate { break }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"maxPower":22}"#)))
        }
        try await Application(router: router).test(.live) { client in
            let port = try #require(client.port)
            let simulator = ChargerSimulator(
                speed: 1, apiURL: "http://127.0.0.1:\(port)", logger: Logger(label: "test")
            ) { _, _ in true }
            func update(_ status: String) -> MQTTMessage { sessionUpdate("s1", point: "cp-1", status: status) }
            let starting = Task { await simulator.accept(update("Charging")) }
            for await _ in arrivals { break }
            await simulator.accept(update("Stopped"))
            open.yield()
            await starting.value
            #expect(await simulator.activeSessions.isEmpty)
        }
    }

    @Test("a Charging update that arrives after the session's Stopped update does not restart metering")
    func simulatorLateChargingUpdate() async {
        let simulator = ChargerSimulator(speed: 1, apiURL: nil, logger: Logger(label: "test")) { _, _ in true }
        func update(_ status: String) -> MQTTMessage { sessionUpdate("s2", point: "cp-2", status: status) }
        await simulator.accept(update("Charging"))
        #expect(await simulator.activeSessions == ["s2"])
        await simulator.accept(update("Stopped"))
        await simulator.accept(update("Charging"))
        #expect(await simulator.activeSessions.isEmpty)
    }

    /// A `session/updates` message as the functions publish it.
    func sessionUpdate(_ sessionId: String, point: String, status: String) -> MQTTMessage {
        MQTTMessage(
            topic: "session/updates",
            payload: Array(
                #"{"chargingPointId":"\#(point)","cost":0,"durationMinutes":0,"energyConsumed":0,"#
                    .utf8)
                + Array(
                    #""sessionId":"\#(sessionId)","status":"\#(status)","timestamp":"2026-11-26T11:09:55.123Z"}"#.utf8))
    }

    @Test("the simulator meters a charging session with ChargingWire meter readings and ignores other payloads")
    func simulatorMeterReadings() async throws {
        let (published, sink) = AsyncStream.makeStream(of: (String, [UInt8]).self)
        let simulator = ChargerSimulator(
            speed: 3600, apiURL: nil, interval: .milliseconds(10), logger: Logger(label: "test")
        ) { topic, payload in
            sink.yield((topic, payload))
            return true
        }
        for garbage in ["", "Charging", #"{"sessionId":"s0","status":"Charging"}"#] {
            await simulator.accept(MQTTMessage(topic: "session/updates", payload: Array(garbage.utf8)))
        }
        await simulator.accept(sessionUpdate("s3", point: "cp-3", status: "Charging"))
        #expect(await simulator.activeSessions == ["s3"])
        await simulator.start()
        var readings: [MeterReading] = []
        for await (topic, payload) in published {
            #expect(topic == "chargers/cp-3/meter")
            #expect(String(decoding: payload, as: UTF8.self).hasPrefix(#"{"energyWh":"#))
            readings.append(try MeterReading.decode(payload))
            if readings.count == 2 { break }
        }
        await simulator.stop()
        #expect(readings.map(\.seq) == [1, 2])
        #expect(readings.allSatisfy { $0.sessionId == "s3" && $0.energyWh == $0.energyWh.rounded(.down) })
        #expect(readings.allSatisfy { $0.timestamp.flatMap(Timestamp.parseMilliseconds) != nil })
        #expect(readings[1].energyWh >= readings[0].energyWh)
    }
}
