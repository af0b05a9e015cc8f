import Logging
import Subprocess
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

extension ChildProcess {
    /// What becomes of what a child writes to its stdout or its stderr. Either stream is always read through a
    /// pipe, to its end, whichever case is chosen, so a child never blocks on a full pipe.
    public enum Output: Sendable {
        /// Read and dropped.
        case discard
        /// Kept in memory, whole (for tests and short-lived tools): ``ChildProcess/standardOutput`` and
        /// ``ChildProcess/standardError``.
        case capture
        /// Handed line by line, without the line break, to a handler; a last line without one too.
        /// A line longer than 64 KiB is handed over in pieces.
        case lines(@Sendable (String) -> Void)
        /// Appended to the file at this path, which is created when missing.
        case file(String)

        /// Each line to `logger` at `level`, as `prefix | line`.
        public static func log(_ logger: Logger, prefix: String, level: Logger.Level = .info) -> Output {
            .lines { line in logger.log(level: level, "\(prefix) | \(line)") }
        }
    }
}

/// Where one of a child's output streams goes: drains the stream's pipe into the chosen ``ChildProcess/Output``.
final class OutputSink: Sendable {
    private enum Destination: Sendable {
        case discard
        case capture
        case lines(@Sendable (String) -> Void)
        case file(Int32)
    }

    static let longestLine = 64 * 1024

    private let destination: Destination
    private let captured = Mutex<[UInt8]>([])

    /// Opens the file of a `.file` output (so a wrong path fails the start, not the child).
    init(_ output: ChildProcess.Output) throws(ChildProcessError) {
        switch output {
        case .discard: destination = .discard
        case .capture: destination = .capture
        case .lines(let handler): destination = .lines(handler)
        case .file(let path):
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw ChildProcessError(.outputFile, "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            destination = .file(fd)
        }
    }

    /// Closes the file of a `.file` output whose child was never started.
    func abandon() {
        if case .file(let fd) = destination { close(fd) }
    }

    /// Everything captured so far (always empty unless the output is `.capture`).
    var bytes: [UInt8] { captured.withLock { $0 } }

    /// Reads `stream` to its end (or until the child has exited and what it left in the pipe is read).
    func drain(_ stream: SubprocessOutputSequence) async {
        var line: [UInt8] = []
        do {
            for try await buffer in stream {
                buffer.withUnsafeBytes { accept($0, line: &line) }
            }
        } catch {
            // The pipe failed: keep what was read.
        }
        finish(line: line)
    }

    private func accept(_ chunk: UnsafeRawBufferPointer, line: inout [UInt8]) {
        switch destination {
        case .discard:
            break
        case .capture:
            captured.withLock { $0.append(contentsOf: chunk) }
        case .lines(let handler):
            for byte in chunk {
                if byte == 10 {
                    handler(String(decoding: line, as: UTF8.self))
                    line.removeAll(keepingCapacity: true)
                } else {
                    line.append(byte)
                    if line.count >= Self.longestLine {
                        handler(String(decoding: line, as: UTF8.self))
                        line.removeAll(keepingCapacity: true)
                    }
                }
            }
        case .file(let fd):
            Self.write(chunk, to: fd)
        }
    }

    private func finish(line: [UInt8]) {
        switch destination {
        case .lines(let handler) where !line.isEmpty:
            handler(String(decoding: line, as: UTF8.self))
        case .file(let fd):
            close(fd)
        default:
            break
        }
    }

    private static func write(_ chunk: UnsafeRawBufferPointer, to fd: Int32) {
        guard var next = chunk.baseAddress else { return }
        var left = chunk.count
        while left > 0 {
            let written = Glibc.write(fd, next, left)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            next += written
            left -= written
        }
    }
}
