import Foundation
import Logging
import Synchronization

/// The runner's log lines on stderr: `12:00:01.123 info  evcsm.lambda: message key=value` as text, or one
/// JSON object per line.
public struct RunnerLogHandler: LogHandler {
    static let output = Mutex(())

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let format: RunnerConfiguration.LogFormat

    public init(label: String, format: RunnerConfiguration.LogFormat, level: Logger.Level = .info) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let now = Date()
        let line: String
        switch format {
        case .text:
            let time = Self.clock(now)
            let meta = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: " ")
            let level = event.level.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
            line = "\(time) \(level) \(label): \(event.message)\(meta)\n"
        case .json:
            var object: [String: String] = [
                "time": ISO8601DateFormatter().string(from: now), "level": event.level.rawValue,
                "logger": label, "message": "\(event.message)",
            ]
            for (key, value) in all { object[key] = "\(value)" }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            line = String(decoding: data, as: UTF8.self) + "\n"
        }
        Self.output.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    static func clock(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let dayMs = Int64((seconds * 1000).rounded(.down)) % 86_400_000
        let h = dayMs / 3_600_000
        let m = dayMs / 60_000 % 60
        let s = dayMs / 1000 % 60
        let ms = dayMs % 1000
        return String(format: "%02lld:%02lld:%02lld.%03lld", h, m, s, ms)
    }
}
