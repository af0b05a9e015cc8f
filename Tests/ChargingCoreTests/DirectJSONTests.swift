import ChargingWire
import FunctionRuntime
import Testing

@testable import ChargingCore

/// The answers written directly (``JSONBytesEncodable``) are byte for byte what ``JSONCoding/encoder`` writes.
@Suite("Direct JSON of the answers")
struct DirectJSONTests {
    static func session(_ i: Int, charging: Bool) -> ChargingSession {
        let powers: [Double] = [11, 22, 3.7, 150.25, 0.1, 1e-7, 123_456_789.5, 7.000_000_000_1]
        var session = ChargingSession(
            sessionId: "s-\(i)\"\\\n\u{1}é", chargingPointId: "cp-\(i % 7)/ü", userId: "user-\(i)",
            vehicleId: "ev-\(i)\t", status: charging ? .charging : .stopped,
            startTime: 1_795_500_000_000 + Int64(i) * 61_234, endTime: charging ? nil : 1_795_500_900_000 + Int64(i),
            energyWh: Int64(i * 1_237 % 90_001), maxPower: powers[i % powers.count],
            targetCharge: Double(i % 101) + (i % 3 == 0 ? 0.5 : 0), targetEnergyWh: 22_000, lastMeterSeq: Int64(i),
            stopReason: charging ? nil : (i % 2 == 0 ? .requested : .evDisconnected),
            costCents: charging ? nil : Int64(i * 317 % 100_000), currency: i % 5 == 0 ? "USD" : "EUR",
            rejectedReadings: Int64(i % 4))
        if i % 3 == 0 {
            session.connectorId = i % 9 + 1
            session.transactionId = i % 2 == 0 ? Int64(i * 1_000_003) : nil
        }
        if i % 4 == 0 { session.tariff = Tariff(perKWh: 0.37, sessionFee: 1.1, perMinute: 0.013) }
        return session
    }

    static func views() -> [SessionView] {
        (0..<120).map { i in
            SessionView(
                session(i, charging: i % 3 == 1), now: 1_795_501_000_000 + Int64(i) * 7_777, tariff: Tariff(),
                showingOwner: i % 5 != 2)
        }
    }

    @Test("a session view is what the encoder writes")
    func sessionView() throws {
        for view in Self.views() {
            var out = JSONBytesWriter(capacity: 64)
            try view.writeJSON(to: &out)
            #expect(
                String(decoding: out.bytes, as: UTF8.self)
                    == String(decoding: try JSONCoding.encoder.encode(view), as: UTF8.self))
        }
    }

    @Test("a session list is what the encoder writes", arguments: [0, 1, 50])
    func sessionList(count: Int) throws {
        for cursor in [nil, "1795500000000.s-1"] {
            let list = SessionListResponse(sessions: Array(Self.views().prefix(count)), nextCursor: cursor)
            let direct = try APIGatewayV2Response.json(list)
            #expect(direct.body == String(decoding: try JSONCoding.encoder.encode(list), as: UTF8.self))
            #expect(direct.headers == ["content-type": "application/json"])
        }
    }

    @Test("start and stop answers are what the encoder writes")
    func writeAnswers() throws {
        for i in 0..<120 {
            let session = Self.session(i, charging: i % 2 == 0)
            let request = StartRequest(
                userId: session.userId, vehicleId: session.vehicleId, chargingPointId: session.chargingPointId,
                maxPower: [11, 0.1, 150.25, 1e-7][i % 4], targetCharge: Double(i % 100) + 1,
                batteryCapacity: i % 3 == 0 ? 77.7 : nil, currentCharge: i % 5 == 0 ? Double(i % 99) : nil)
            let start = StartResponse(session, estimate: ChargingEstimate(request, defaults: ChargingDefaults()))
            let stop = StopResponse(StopOutcome(session: session, wasAlreadyStopped: i % 3 == 0))
            let startAnswer = try APIGatewayV2Response.json(start, status: 201)
            #expect(startAnswer.body == String(decoding: try JSONCoding.encoder.encode(start), as: UTF8.self))
            #expect(startAnswer.statusCode == 201)
            #expect(
                try APIGatewayV2Response.json(stop).body
                    == String(decoding: try JSONCoding.encoder.encode(stop), as: UTF8.self))
        }
    }

    @Test("a session/updates payload is what its encoder writes; a non-finite number is refused as before")
    func sessionUpdates() throws {
        for i in 0..<120 {
            let update = SessionUpdate(
                Self.session(i, charging: i % 3 != 1), now: 1_795_501_000_000 + Int64(i) * 7_777,
                tariff: i % 2 == 0 ? Tariff() : Tariff(perKWh: 0.37, sessionFee: 1.1, perMinute: 0.013))
            #expect(try update.payload() == update.encoded())
        }
        var update = SessionUpdate(Self.session(3, charging: false), now: 0, tariff: Tariff())
        update.energyConsumed = .nan
        #expect(throws: ChargingWireError.self) { try update.payload() }
    }

    @Test("doubles are written as the encoder writes them")
    func doubles() throws {
        var values: [Double] = [
            0, -0.0, 1, -1, 0.1, 0.3, 15.85, 1e-7, 1e15, 1e16, 1.5e300, .leastNonzeroMagnitude, 123_456.789,
            9_007_199_254_740_991, 9_007_199_254_740_992, -9_007_199_254_740_991, 4_503_599_627_370_495.5, -1e15, 80,
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Double(bitPattern: state)
            if value.isFinite { values.append(value) }
            values.append(Double(state % 1_000_000) / 1000)
            values.append(Double(Int64(bitPattern: state) >> (state % 64)))
            values.append(Double(state % 100_000_000_000_000) / [10, 100, 1000][Int(state >> 62) % 3])
            values.append(1_099_511_627_776 - Double(state % 1_000) / 8)
        }
        for value in values {
            var out = JSONBytesWriter(capacity: 32)
            try out.double(value)
            #expect(
                String(decoding: out.bytes, as: UTF8.self)
                    == String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self))
        }
    }

    @Test("a non-finite number goes to the encoder, which refuses it as before")
    func nonFinite() {
        var out = JSONBytesWriter(capacity: 8)
        #expect(throws: JSONBytesWriter.Unencodable.self) { try out.double(.nan) }
        var session = Self.session(1, charging: false)
        session.maxPower = .infinity
        let view = SessionView(session, now: 0, tariff: Tariff())
        #expect(throws: (any Error).self) { try APIGatewayV2Response.json(view) }
    }
}
