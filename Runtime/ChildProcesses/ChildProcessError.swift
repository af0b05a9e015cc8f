import Essentials

/// Errors of ``ChildProcess``: the shared ``CodedError`` with this module's codes.
public typealias ChildProcessError = CodedError<ChildProcessErrorCode>

/// The codes of ``ChildProcessError``.
public enum ChildProcessErrorCode: String, ErrorCode {
    /// The executable does not exist or cannot be executed.
    case executable
    /// `setpriv` (util-linux), which ties a child's life to the runner's, is not installed.
    case deathSignalWrapper
    /// An environment variable name is empty or contains `=` or NUL.
    case environment
    /// An output file could not be opened.
    case outputFile
    /// The process could not be spawned.
    case spawn
    /// The process did not exit, or did not print what was awaited, in time.
    case timeout
    /// The process exited before printing what was awaited.
    case exited
}
