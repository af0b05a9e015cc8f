import ChargingWire
import Testing

@Suite("WireCoding")
struct WireCodingTests {
    @Test("one encoder and one decoder, made once, keys sorted and slashes unescaped")
    func sharedConfiguration() throws {
        #expect(WireCoding.encoder === WireCoding.encoder)
        #expect(WireCoding.decoder === WireCoding.decoder)
        #expect(WireCoding.encoder.outputFormatting == [.sortedKeys, .withoutEscapingSlashes])
        #expect(text(try WireCoding.encode(["b": "a/b", "a": "c"])) == #"{"a":"c","b":"a/b"}"#)
    }

    @Test("a value JSON cannot hold fails to encode with a code")
    func unencodable() {
        let error = wireError { () throws(ChargingWireError) in
            try MeterReading(sessionId: "s1", energyWh: .infinity, seq: 1).encoded()
        }
        #expect(error?.code == .unencodable)
    }
}
