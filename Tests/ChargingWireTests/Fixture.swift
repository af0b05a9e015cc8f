import ChargingWire
import Foundation
import Testing

/// The AWS IoT rule events under `Tests/Fixtures/iot`: real payloads of the topics.
enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/iot")

    /// The IoT rule event shape: the payload base64-encoded in `data`.
    struct RuleEvent: Decodable {
        var data: String
        var topic: String
    }

    /// The payload bytes of `iot/<name>.json` and the topic it came on.
    static func message(_ name: String) throws -> (topic: String, payload: [UInt8]) {
        let event = try JSONDecoder().decode(
            RuleEvent.self, from: Data(contentsOf: root.appendingPathComponent("\(name).json")))
        let payload = try #require(Data(base64Encoded: event.data), "\(name).json: data is not base64")
        return (event.topic, [UInt8](payload))
    }

    /// The payload bytes of `iot/<name>.json`.
    static func payload(_ name: String) throws -> [UInt8] { try message(name).payload }
}

/// `bytes` as UTF-8 text, for readable expectations.
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// The error a throwing wire call raised (nil when it did not throw).
func wireError<Value>(_ body: () throws(ChargingWireError) -> Value) -> ChargingWireError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
