import ChargingCore
import ChargingCoreTesting
import FunctionRuntime
import Testing

@Suite("ExpireNotStarted")
struct ExpireNotStartedTests {
    @Test("remote starts without StartTransaction older than the start timeout end NotStarted with cost 0")
    func expires() async throws {
        let old = OcppControlWorld.ocppSession("s-old", startedMinutesAgo: 3)
        var young = OcppControlWorld.ocppSession("s-young", startedMinutesAgo: 1)
        young.connectorId = 2
        var started = OcppControlWorld.ocppSession("s-started", transactionId: 5, startedMinutesAgo: 3)
        started.chargingPointId = "ocpp-2"
        let harness = Harness([old, young, started])
        let handler = ExpireSessionsHandler(
            harness.dependencies, configuration: .init(startTimeoutMilliseconds: 120_000))
        _ = try await handler.handle(ExpireSessionsHandlerTests.event, context: .local())

        let stopped = try #require(await harness.store.session(id: "s-old"))
        #expect(stopped.status == .stopped)
        #expect(stopped.stopReason == .notStarted)
        #expect(stopped.costCents == 0)
        #expect(await harness.store.session(id: "s-young")?.status == .charging)
        #expect(await harness.store.session(id: "s-started")?.status == .charging)
        let updates = try harness.updates
        #expect(updates.map(\.sessionId) == ["s-old"])
        #expect(updates.first?.status == "Stopped")
    }

    @Test("OCPP_START_TIMEOUT_SECONDS configures it; a bad value is an init error naming it")
    func configuration() throws {
        let configured = try ExpireSessionsHandler.Configuration.fromEnvironment(
            FunctionEnvironment(["OCPP_START_TIMEOUT_SECONDS": "30"]))
        #expect(configured.startTimeoutMilliseconds == 30_000)
        #expect(
            try ExpireSessionsHandler.Configuration.fromEnvironment(FunctionEnvironment([:])).startTimeoutMilliseconds
                == 120_000)
        do {
            _ = try ExpireSessionsHandler.Configuration.fromEnvironment(
                FunctionEnvironment(["OCPP_START_TIMEOUT_SECONDS": "0"]))
            Issue.record("accepted 0")
        } catch {
            #expect("\(error)".contains("OCPP_START_TIMEOUT_SECONDS"))
        }
    }
}
