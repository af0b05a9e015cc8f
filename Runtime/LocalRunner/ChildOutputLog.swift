import ChildProcesses
import Logging
import Synchronization

/// A child's output as runner log lines, `<prefix> | <line>`, keeping its last lines for error messages.
///
/// A line in swift-log's stream format (`<timestamp> <level> <label>: …`, what a Swift child such as
/// `evcsm-data-api` writes) is logged at its own level without its timestamp; any other line at `level`.
final class ChildOutputLog: Sendable {
    static let keptLines = 5

    let prefix: String
    let logger: Logger
    private let tail = Mutex<[String]>([])

    init(prefix: String, logger: Logger) {
        self.prefix = prefix
        self.logger = logger
    }

    /// An output that logs each line (see the type) and then hands it to `inspect`.
    func output(
        stream: String, level: Logger.Level, inspect: @escaping @Sendable (String) -> Void = { _ in }
    ) -> ChildProcess.Output {
        let logger = self.logger.stream(stream)
        return .lines { [self] line in
            let (lineLevel, text) = Self.parse(line) ?? (level, line)
            logger.log(level: lineLevel, "\(prefix) | \(text)")
            if !line.isEmpty {
                tail.withLock { lines in
                    lines.append(line)
                    if lines.count > Self.keptLines { lines.removeFirst() }
                }
            }
            inspect(line)
        }
    }

    /// The last lines the child wrote (stdout and stderr), joined by ` / `; empty when it wrote none.
    var lastLines: String { tail.withLock { $0.joined(separator: " / ") } }

    /// The level and the rest of a swift-log stream line: `2026-12-01T10:27:23+0000 info label: message`.
    static func parse(_ line: String) -> (Logger.Level, String)? {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count >= 19, parts[0].contains("T"),
            let level = Logger.Level(rawValue: String(parts[1]))
        else { return nil }
        return (level, String(parts[2]))
    }
}
