/// A program that runs inside evcsm-local beside the emulated services, as one more MQTT client of the broker
/// and an HTTP client of the API: the charger simulator is one. LocalRunner knows nothing of what it does; it
/// starts it once the broker and the API are up, hands it the messages of its topic filters, and stops it
/// before it drains the IoT bridge.
public protocol RunnerCompanion: Sendable {
    /// One line for the start banner, e.g. `Simulator:  on (speed 60)`.
    var bannerLine: String { get }
    /// The broker user it signs in as, on its own connection (a development user of the template's
    /// `MqttRoles`, e.g. `simulator`).
    var mqttUsername: String { get }
    /// MQTT topic filters whose messages go to ``accept(topic:payload:)``.
    var topicFilters: [String] { get }
    /// Starts it. `apiURL` is the runner's base URL (`http://127.0.0.1:5274`); `publish` sends one MQTT message
    /// at QoS 1 through its own connection and returns false when it could not.
    func start(apiURL: String, publish: @escaping @Sendable (_ topic: String, _ payload: [UInt8]) -> Bool) async
    /// One MQTT message that matched one of ``topicFilters``.
    func accept(topic: String, payload: [UInt8]) async
    /// Stops it; called once, at shutdown.
    func stop() async
}
