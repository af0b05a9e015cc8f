import Testing

@testable import LocalRunner

/// `/events` per caller: `session/updates` for everyone signed in, `charging/updates` (user and vehicle ids)
/// for operators only.
@Suite("SSE per caller")
struct AuthEventStreamTests {
    @Test("a driver's stream carries session/updates only; an operator's carries both topics")
    func filtering() async throws {
        let events = EventStream(keepAlive: .seconds(3600))
        let driver = try #require(events.subscribe(isOperator: false))
        let operatorStream = try #require(events.subscribe(isOperator: true))
        events.accept(
            MQTTMessage(topic: "charging/updates", payload: Array(#"{"status":"Charging","userId":"u-1"}"#.utf8)))
        events.accept(MQTTMessage(topic: "session/updates", payload: Array(#"{"sessionId":"s-1"}"#.utf8)))
        events.close()
        var driverFrames: [String] = []
        for await frame in driver { driverFrames.append(frame) }
        var operatorFrames: [String] = []
        for await frame in operatorStream { operatorFrames.append(frame) }
        #expect(driverFrames == ["event: session/updates\ndata: {\"sessionId\":\"s-1\"}\n\n"])
        #expect(operatorFrames.count == 2 && operatorFrames[0].hasPrefix("event: charging/updates\n"))
    }

    @Test("a caller is an operator by the evcsm/operator scope or a cognito:groups claim naming that group")
    func operatorClaims() {
        #expect(VerifiedToken(claims: ["sub": "a"], scopes: ["openid", "evcsm/operator"]).isOperator)
        #expect(VerifiedToken(claims: ["sub": "a", "cognito:groups": "[admins evcsm/operator]"]).isOperator)
        #expect(VerifiedToken(claims: ["sub": "a", "cognito:groups": #"["evcsm/operator"]"#]).isOperator)
        #expect(VerifiedToken(claims: ["sub": "a", "cognito:groups": "evcsm/operator"]).isOperator)
        #expect(
            !VerifiedToken(claims: ["sub": "a", "cognito:groups": "[evcsm/operators]"], scopes: ["openid"]).isOperator)
        #expect(!VerifiedToken(claims: ["sub": "a"]).isOperator)
    }
}
