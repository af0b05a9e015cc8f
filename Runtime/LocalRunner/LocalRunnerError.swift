import Essentials
import FunctionRuntime

/// Errors of the local runner: the shared ``CodedError`` with the runner's own codes.
public typealias LocalRunnerError = CodedError<LocalRunnerErrorCode>

/// The codes of ``LocalRunnerError``.
public enum LocalRunnerErrorCode: String, ErrorCode {
    /// template.yaml is missing, malformed or uses something the runner cannot honour.
    case template
    /// A command-line flag or configuration value is invalid.
    case configuration
    /// A function binary is missing or could not be started.
    case functionBinary
    /// The MQTT broker could not be started or reached.
    case broker
    /// A child process could not be started.
    case process
    /// A file could not be read or written.
    case io
}
