/// Errors of the local runner: one struct with a code enum.
public struct LocalRunnerError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable, Equatable {
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

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
