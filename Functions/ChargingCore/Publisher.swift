/// Publishes MQTT messages (through the AWS IoT Data Plane in production).
public protocol Publisher: Sendable {
    /// Publishes `payload` on `topic` with QoS 1.
    func publish(topic: String, payload: [UInt8]) async throws
}
