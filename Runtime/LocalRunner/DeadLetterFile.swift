import Essentials
import Foundation
import Synchronization

/// The dead-letter file: one JSON line per message that failed all attempts, created on the first one. It stands in
/// for a Lambda on-failure destination (IoT rule → Lambda) and for a queue's dead-letter queue (IoT rule → SQS).
public struct DeadLetterFile: Sendable {
    /// One line: `{"attempts":3,"error":…,"function":…,"payloadBase64":…,"receivedAt":…,"timestamp":…,"topic":…}`,
    /// plus `queue` and `messageId` for a message that came through a queue.
    struct Entry: Codable, Sendable, Equatable {
        var function: String
        /// The queue the message failed from (nil for a direct IoT rule invocation).
        var queue: String?
        /// The queue's message id.
        var messageId: String?
        var topic: String
        var payloadBase64: String
        /// When the broker delivered the message (milliseconds since the epoch).
        var receivedAt: Int64
        var attempts: Int
        var error: String
        /// When the line was written (ISO-8601 UTC, milliseconds).
        var timestamp: String
    }

    static let lock = Mutex(())

    public let path: String

    public init(path: String) {
        self.path = path
    }

    func write(
        function: String, message: MQTTMessage, attempts: Int, error: String, queue: String? = nil,
        messageId: String? = nil
    ) throws(LocalRunnerError) {
        let entry = Entry(
            function: function, queue: queue, messageId: messageId, topic: message.topic,
            payloadBase64: Data(message.payload).base64EncodedString(),
            receivedAt: message.receivedAt, attempts: attempts, error: error, timestamp: Timestamp.format(Date()))
        guard var line = try? RunnerJSON.encoder.encode(entry) else {
            throw LocalRunnerError(.io, "cannot encode a dead letter for \(path)")
        }
        line.append(10)
        try Self.lock.withLock { _ throws(LocalRunnerError) in
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw LocalRunnerError(.io, "cannot open the dead-letter file \(path)")
            }
            defer { try? handle.close() }
            do {
                _ = try handle.seekToEnd()
                try handle.write(contentsOf: line)
            } catch {
                throw LocalRunnerError(
                    .io, "cannot append to the dead-letter file \(path): \(error.localizedDescription)")
            }
        }
    }
}
