import BSON
import Logging
import Synchronization
import Testing

@testable import DataAPIServer

/// The per-request log line of the Data API is a debug message (issue 11), and no log line carries the key.
@Suite("Data API request log")
struct RequestLogTests {
    /// Keeps every message logged through it.
    final class Recorder: Sendable {
        struct Entry: Sendable {
            let level: Logger.Level
            let text: String
        }

        let entries = Mutex<[Entry]>([])

        func handler(label: String) -> some LogHandler { RecordingHandler(recorder: self) }
    }

    struct RecordingHandler: LogHandler {
        let recorder: Recorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let text = "\(event.message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))"
            recorder.entries.withLock { $0.append(Recorder.Entry(level: event.level, text: text)) }
        }
    }

    @Test("requests log at debug with action, status and duration; nothing at info; never the key")
    func debugOnly() async throws {
        let recorder = Recorder()
        let logger = Logger(label: "request-log") { recorder.handler(label: $0) }
        try await HardeningServer.with(logger: logger) { server in
            try await server.expectAccepted("insertOne", ["document": ["_id": 1]])
            try await server.expectRefused("find", ["filter": ["$where": "x"]], mentioning: "$where")
        }
        let entries = recorder.entries.withLock { $0 }
        let requests = entries.filter { $0.text.hasPrefix("Data API request") }
        #expect(requests.count >= 3)
        #expect(requests.allSatisfy { $0.level == .debug }, "\(requests.map(\.level))")
        #expect(requests.allSatisfy { $0.text.contains("status=") && $0.text.contains("action=") })
        #expect(!entries.contains { $0.level >= .info }, "\(entries.filter { $0.level >= .info }.map(\.text))")
        #expect(!entries.contains { $0.text.contains(HardeningServer.key) })
    }
}
