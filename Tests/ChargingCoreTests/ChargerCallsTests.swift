import ChargingCore
import ChargingCoreTesting
import ChargingWire
import Logging
import Testing

/// A charger that answers every CALL it receives through `answer` (nil: stays silent), recording into `outstanding`
/// as OcppMessage would.
func answeringCharger(
    _ outstanding: InMemoryOutstandingCalls, gone: Set<String> = [],
    answer: @escaping @Sendable (String, OcppJSON) -> OcppCallOutcome?
) -> RecordingConnections {
    RecordingConnections(gone: gone) { post in
        guard case .success(.call(let messageId, let action, let payload)) = OcppFrame.parse(post.data),
            let outcome = answer(action, payload)
        else { return }
        _ = await outstanding.resolve(chargePointId: "cp-1", messageId: messageId, outcome: outcome)
    }
}

/// OcppChargerCalls over the in-memory outstanding calls, charger state and connections.
struct CallsWorld {
    let outstanding: InMemoryOutstandingCalls
    let chargers = InMemoryChargerState(connected: "cp-1", connectionId: "conn-1")
    let clock = FixedClock(milliseconds: Harness.start)
    let connections: RecordingConnections

    init(
        _ calls: [OutstandingCall] = [], gone: Set<String> = [],
        answer: @escaping @Sendable (String, OcppJSON) -> OcppCallOutcome? = { _, _ in
            .result(["status": "Accepted"])
        }
    ) {
        outstanding = InMemoryOutstandingCalls(calls)
        connections = answeringCharger(outstanding, gone: gone, answer: answer)
    }

    var calls: OcppChargerCalls {
        OcppChargerCalls(
            connections: connections, outstanding: outstanding, chargers: chargers, clock: clock,
            logger: Logger(label: "test"))
    }

    func call(
        _ action: String = "Reset", _ payload: OcppJSON = ["type": "Soft"], timeout: Duration = .seconds(20)
    )
        async throws -> OcppCallOutcome
    {
        try await calls.call(chargePointId: "cp-1", action: action, payload: payload, timeout: timeout)
    }
}

/// Expects `body` to throw a ``ChargingError`` with `code`.
func expectChargingError(
    _ code: ChargingErrorCode, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as ChargingError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("ChargerCalls")
struct ChargerCallsTests {
    @Test("a call posts [2, id, action, payload] to the charger's connection and returns its CALLRESULT")
    func answered() async throws {
        let world = CallsWorld { action, _ in action == "Reset" ? .result(["status": "Accepted"]) : nil }
        let outcome = try await world.call()
        #expect(outcome == .result(["status": "Accepted"]))
        let post = try #require(world.connections.posts.first)
        #expect(post.connectionId == "conn-1")
        guard case .success(.call(let messageId, let action, let payload)) = OcppFrame.parse(post.data) else {
            Issue.record("not a CALL: \(post.text)")
            return
        }
        #expect(post.text.hasPrefix("[2,\"\(messageId)\",\"Reset\","))
        #expect(!messageId.isEmpty && messageId.count <= OcppFrame.maximumMessageIdLength)
        #expect(action == "Reset")
        #expect(payload == ["type": "Soft"])
        let claimed = try #require(await world.outstanding.claimed.first)
        #expect(claimed.messageId == messageId && claimed.connectionId == "conn-1" && claimed.awaited)
        #expect(claimed.sentAt == Harness.start && claimed.deadline == Harness.start + 20_000)
        #expect(await world.outstanding.call(chargePointId: "cp-1") == nil, "the call document is removed when done")
    }

    @Test("every call gets a new message id")
    func freshIds() async throws {
        let world = CallsWorld()
        _ = try await world.call()
        _ = try await world.call()
        let ids = await world.outstanding.claimed.map(\.messageId)
        #expect(ids.count == 2 && Set(ids).count == 2)
    }

    @Test("a CALLERROR answer comes back as the error outcome")
    func callError() async throws {
        let world = CallsWorld { _, _ in .error(code: "NotSupported", description: "no resets here") }
        #expect(try await world.call() == .error(code: "NotSupported", description: "no resets here"))
    }

    @Test("a CALLRESULT that breaks the confirmation schema is an error outcome naming the field")
    func invalidConfirmation() async throws {
        let world = CallsWorld { _, _ in .result(["status": "Maybe"]) }
        guard case .error(let code, let description) = try await world.call() else {
            Issue.record("expected an error outcome")
            return
        }
        #expect(code == "PropertyConstraintViolation")
        #expect(description.hasPrefix("status"))
    }

    @Test("a charger without a connection is .chargerNotConnected and nothing is claimed or sent")
    func notConnected() async throws {
        let world = CallsWorld()
        await expectChargingError(.chargerNotConnected) {
            _ = try await world.calls.call(
                chargePointId: "cp-2", action: "Reset", payload: ["type": "Soft"], timeout: .seconds(1))
        }
        #expect(await world.outstanding.claimed.isEmpty)
        #expect(world.connections.posts.isEmpty)
    }

    @Test("a gone connection (410) is .chargerNotConnected and the call is removed")
    func gone() async throws {
        let world = CallsWorld(gone: ["conn-1"])
        await expectChargingError(.chargerNotConnected) { _ = try await world.call() }
        #expect(await world.outstanding.claimed.count == 1)
        #expect(await world.outstanding.call(chargePointId: "cp-1") == nil)
    }

    @Test("another live call on the charger is .chargerBusy and nothing is sent")
    func busy() async throws {
        let live = OutstandingCall(
            chargePointId: "cp-1", messageId: "m-live", connectionId: "conn-1", action: "GetConfiguration",
            sentAt: Harness.start - 1000, deadline: Harness.start + 5000, awaited: true)
        let world = CallsWorld([live])
        await expectChargingError(.chargerBusy) { _ = try await world.call() }
        #expect(world.connections.posts.isEmpty)
        #expect(await world.outstanding.call(chargePointId: "cp-1") == live)
    }

    @Test("a stale call (deadline passed) is taken over")
    func staleTakenOver() async throws {
        let stale = OutstandingCall(
            chargePointId: "cp-1", messageId: "m-stale", connectionId: "conn-0", action: "Reset",
            sentAt: Harness.start - 60_000, deadline: Harness.start - 1, awaited: true)
        let world = CallsWorld([stale])
        #expect(try await world.call() == .result(["status": "Accepted"]))
        #expect(world.connections.posts.count == 1)
    }

    @Test("no answer within the timeout is .chargerTimeout, the call is removed, and a late answer is ignored")
    func timeout() async throws {
        let world = CallsWorld { _, _ in nil }
        await expectChargingError(.chargerTimeout) { _ = try await world.call(timeout: .milliseconds(200)) }
        let messageId = try #require(await world.outstanding.claimed.first?.messageId)
        #expect(await world.outstanding.call(chargePointId: "cp-1") == nil)
        let late = await world.outstanding.resolve(
            chargePointId: "cp-1", messageId: messageId, outcome: .result(["status": "Accepted"]))
        #expect(!late)
    }

    @Test("send posts without waiting; the answer deletes its call document")
    func sendNotAwaited() async throws {
        let world = CallsWorld { _, _ in nil }
        try await world.calls.send(
            chargePointId: "cp-1", action: "RemoteStopTransaction", payload: ["transactionId": 7])
        let call = try #require(await world.outstanding.call(chargePointId: "cp-1"))
        #expect(!call.awaited && call.action == "RemoteStopTransaction")
        #expect(call.deadline == Harness.start + 10_000)
        let resolved = await world.outstanding.resolve(
            chargePointId: "cp-1", messageId: call.messageId, outcome: .result(["status": "Accepted"]))
        #expect(resolved)
        #expect(await world.outstanding.call(chargePointId: "cp-1") == nil)
    }

    @Test("an answer to an unknown message id is not recorded")
    func unknownAnswer() async throws {
        let world = CallsWorld()
        #expect(!(await world.outstanding.resolve(chargePointId: "cp-1", messageId: "nope", outcome: .result([:]))))
    }
}
