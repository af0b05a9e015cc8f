import FunctionRuntime
import Logging

extension SendChargerCommandHandler {
    /// The environment variables ``live(_:logger:)`` reads, for `--help`.
    public static let environmentVariables =
        [
            "AUTH_MODE", "DATA_API_URL", "DATA_API_KEY", "DATA_API_DATA_SOURCE", "DATA_API_DATABASE",
            "DATA_API_TIMEOUT_MS",
        ]
        + OcppControl.environmentVariables + [
            "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        ]

    /// The production composition (``OcppControl/live(_:clock:logger:)`` and `AUTH_MODE`), read once.
    public static func live(
        _ env: FunctionEnvironment, logger: Logger
    ) throws(FunctionRuntimeError)
        -> SendChargerCommandHandler
    {
        SendChargerCommandHandler(
            control: try .live(env, clock: SystemWallClock(), logger: logger), authMode: try .fromEnvironment(env))
    }
}
