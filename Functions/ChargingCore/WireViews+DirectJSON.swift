import ChargingWire
import FunctionRuntime

// The write answers and the session/updates message, written directly (byte for byte the encoders' sorted-key
// JSON; DirectJSONTests compares them): every start and stop writes both, and the encoder's value tree was about
// a tenth of such an invocation's CPU. Members are listed in the encoder's order (keys sorted by UTF-8 bytes).

extension StartResponse: JSONBytesEncodable {
    /// The JSON of the synthesized `encode(to:)`.
    public func writeJSON(to out: inout JSONBytesWriter) throws(JSONBytesWriter.Unencodable) {
        try out.object(inOrder: [
            .string("chargingPointId", chargingPointId), .integer("estimatedDuration", estimatedDuration),
            .number("maxPower", maxPower), .string("message", message), .string("sessionId", sessionId),
            .string("startTime", startTime), .string("status", status), .number("targetCharge", targetCharge),
            .number("targetEnergy", targetEnergy), .string("userId", userId), .string("vehicleId", vehicleId),
        ])
    }
}

extension StopResponse: JSONBytesEncodable {
    /// The JSON of the synthesized `encode(to:)`.
    public func writeJSON(to out: inout JSONBytesWriter) throws(JSONBytesWriter.Unencodable) {
        try out.object(inOrder: [
            .string("chargingPointId", chargingPointId), .number("cost", cost), .string("currency", currency),
            .integer("durationMinutes", durationMinutes), .string("endTime", endTime),
            .number("energyConsumed", energyConsumed), .string("message", message), .string("sessionId", sessionId),
            .string("startTime", startTime), .string("status", status), .string("stopReason", stopReason),
        ])
    }
}

extension SessionUpdate {
    /// The payload ``encoded()`` makes, written directly; through ``encoded()`` (and its error) when a number
    /// is not finite.
    func payload() throws(ChargingWireError) -> [UInt8] {
        var out = JSONBytesWriter(capacity: 256)
        do throws(JSONBytesWriter.Unencodable) {
            try out.object(inOrder: [
                .string("chargingPointId", chargingPointId), .number("cost", cost),
                .integer("durationMinutes", durationMinutes), .number("energyConsumed", energyConsumed),
                .string("sessionId", sessionId), .string("status", status), .string("timestamp", timestamp),
            ])
        } catch {
            return try encoded()
        }
        return out.bytes
    }
}
