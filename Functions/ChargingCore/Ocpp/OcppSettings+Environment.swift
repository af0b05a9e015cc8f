import FunctionRuntime

extension OcppSettings {
    /// The variables ``fromEnvironment(_:)`` reads.
    public static let environmentVariables = [
        "OCPP_HEARTBEAT_INTERVAL", "OCPP_CALL_TIMEOUT_SECONDS", "OCPP_STOP_WAIT_SECONDS", "OCPP_START_TIMEOUT_SECONDS",
        "OCPP_DEFAULT_MAX_POWER",
    ]

    /// The settings from `OCPP_*` (read once at start): heartbeat interval 1…540 s (OCPP-J's 540 s keeps a charger
    /// inside API Gateway's 10-minute idle timeout), call timeout and stop wait 1…60 s, start timeout 1…3600 s,
    /// default max power (0, 350] kW. A bad value is an init error naming the variable.
    public static func fromEnvironment(_ env: FunctionEnvironment) throws(FunctionRuntimeError) -> OcppSettings {
        let defaults = OcppSettings()
        let interval = try env.int("OCPP_HEARTBEAT_INTERVAL", default: defaults.heartbeatInterval)
        try check("OCPP_HEARTBEAT_INTERVAL", interval, in: 1...540)
        let callTimeout = try env.int(
            "OCPP_CALL_TIMEOUT_SECONDS", default: Int(defaults.callTimeout.components.seconds))
        try check("OCPP_CALL_TIMEOUT_SECONDS", callTimeout, in: 1...60)
        let stopWait = try env.int("OCPP_STOP_WAIT_SECONDS", default: Int(defaults.stopWait.components.seconds))
        try check("OCPP_STOP_WAIT_SECONDS", stopWait, in: 1...60)
        let startTimeout = try env.int(
            "OCPP_START_TIMEOUT_SECONDS", default: Int(defaults.startTimeout.components.seconds))
        try check("OCPP_START_TIMEOUT_SECONDS", startTimeout, in: 1...3600)
        let maxPower = try env.double("OCPP_DEFAULT_MAX_POWER", default: defaults.defaultMaxPower)
        guard maxPower > 0, maxPower <= 350 else {
            throw FunctionRuntimeError(
                .invalidEnvironment, "environment variable OCPP_DEFAULT_MAX_POWER must be > 0 and ≤ 350 (kW)")
        }
        return OcppSettings(
            heartbeatInterval: interval, callTimeout: .seconds(callTimeout), stopWait: .seconds(stopWait),
            startTimeout: .seconds(startTimeout), defaultMaxPower: maxPower)
    }

    private static func check(_ name: String, _ value: Int, in range: ClosedRange<Int>) throws(FunctionRuntimeError) {
        guard range.contains(value) else {
            throw FunctionRuntimeError(
                .invalidEnvironment,
                "environment variable \(name) must be between \(range.lowerBound) and \(range.upperBound) (seconds)")
        }
    }
}
