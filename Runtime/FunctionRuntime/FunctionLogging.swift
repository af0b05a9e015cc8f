import Essentials
import Logging
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How a function logs: one line per entry on stderr (Lambda ships stderr to CloudWatch), as text
/// by default or as JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON`.
public struct FunctionLogConfiguration: Sendable, Equatable {
    /// The line format.
    public enum Format: String, Sendable, Equatable {
        case text, json
    }

    public var format: Format
    public var level: Logger.Level

    public init(format: Format = .text, level: Logger.Level = .info) {
        self.format = format
        self.level = level
    }

    /// Reads `AWS_LAMBDA_LOG_FORMAT` (`JSON` or `Text`) and `LOG_LEVEL`, falling back to `AWS_LAMBDA_LOG_LEVEL`
    /// (swift-log names, plus Lambda's `WARN` and `FATAL`; unknown values mean `info`).
    public init(environment: FunctionEnvironment) {
        format = environment["AWS_LAMBDA_LOG_FORMAT"]?.uppercased() == "JSON" ? .json : .text
        let raw = environment["LOG_LEVEL"] ?? environment["AWS_LAMBDA_LOG_LEVEL"]
        level = raw.flatMap(Self.level(named:)) ?? .info
    }

    /// A level by name, case-insensitive; `warn` and `fatal` are accepted as Lambda spells them.
    public static func level(named name: String) -> Logger.Level? {
        switch name.lowercased() {
        case "warn": return .warning
        case "fatal": return .critical
        default: return Logger.Level(rawValue: name.lowercased())
        }
    }
}

/// Bootstraps swift-log for a function binary, once per process.
public enum FunctionLogging {
    private static let bootstrapped = Mutex(false)

    /// Installs the stderr handler with `configuration`. Later calls do nothing (swift-log allows one bootstrap).
    public static func bootstrap(_ configuration: FunctionLogConfiguration) {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            FunctionLogHandler(label: label, format: configuration.format, logLevel: configuration.level)
        }
    }
}

/// A swift-log handler writing one line per entry to stderr.
public struct FunctionLogHandler: LogHandler {
    public let label: String
    public let format: FunctionLogConfiguration.Format
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let write: @Sendable (String) -> Void

    /// Serializes whole lines on stderr, so lines from concurrent tasks (the local runner) never interleave.
    private static let standardError = Mutex(Int32(2))

    /// A handler writing to stderr.
    public init(label: String, format: FunctionLogConfiguration.Format, logLevel: Logger.Level) {
        self.init(label: label, format: format, logLevel: logLevel) { line in
            FunctionLogHandler.standardError.withLock { SystemIO.write(line, to: $0) }
        }
    }

    /// A handler writing each complete line (with its newline) to `write` (for tests).
    public init(
        label: String, format: FunctionLogConfiguration.Format, logLevel: Logger.Level,
        write: @escaping @Sendable (String) -> Void
    ) {
        self.label = label
        self.format = format
        self.logLevel = logLevel
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        let line: String
        switch format {
        case .text: line = textLine(event, merged)
        case .json: line = jsonLine(event, merged)
        }
        write(line + "\n")
    }

    private func textLine(_ event: LogEvent, _ metadata: Logger.Metadata) -> String {
        var line = "\(Timestamp.format(Date())) \(event.level.rawValue.uppercased()) \(label):"
        if let requestID = metadata["requestID"] { line += " [\(requestID)]" }
        line += " \(event.message)"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where key != "requestID" {
            line += " \(key)=\(value)"
        }
        return line
    }

    private func jsonLine(_ event: LogEvent, _ metadata: Logger.Metadata) -> String {
        var fields: [(String, String)] = [
            ("timestamp", Timestamp.format(Date())), ("level", Self.lambdaLevel(event.level)),
            ("message", "\(event.message)"), ("logger", label),
        ]
        if let requestID = metadata["requestID"] { fields.append(("requestId", "\(requestID)")) }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where key != "requestID" {
            fields.append((key, "\(value)"))
        }
        return "{" + fields.map { "\(JSONString.quote($0.0)):\(JSONString.quote($0.1))" }.joined(separator: ",") + "}"
    }

    /// Lambda's level names: TRACE, DEBUG, INFO, WARN, ERROR, FATAL.
    static func lambdaLevel(_ level: Logger.Level) -> String {
        switch level {
        case .trace: return "TRACE"
        case .debug: return "DEBUG"
        case .info, .notice: return "INFO"
        case .warning: return "WARN"
        case .error: return "ERROR"
        case .critical: return "FATAL"
        }
    }
}

/// JSON string quoting without a JSONEncoder round trip.
enum JSONString {
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
