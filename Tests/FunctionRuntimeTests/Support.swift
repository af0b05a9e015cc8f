import Foundation
import FunctionRuntime
import Logging
import Synchronization
import TestSupport

/// Reads a fixture under `Tests/Fixtures/` (from `EVCSM_ROOT` when set, else relative to this file).
func fixture(_ relativePath: String) throws -> [UInt8] {
    let root =
        ProcessInfo.processInfo.environment["EVCSM_ROOT"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let url = root.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relativePath)
    return Array(try Data(contentsOf: url))
}

func fixturePath(_ relativePath: String) -> String {
    let root =
        ProcessInfo.processInfo.environment["EVCSM_ROOT"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    return root + "/Tests/Fixtures/" + relativePath
}

/// Parses JSON bytes into a dictionary (nil when not an object).
func jsonObject(_ bytes: [UInt8]) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
}

/// A queue of invocations served by an in-test Runtime API (`/2018-06-01/runtime/...`).
final class FakeRuntimeAPI: Sendable {
    struct QueuedInvocation: Sendable {
        var requestID: String
        var body: String
        var deadlineMilliseconds: Int64 = 1_795_691_425_123
        var arn = "arn:aws:lambda:eu-west-1:123456789012:function:GetStatus"
        var traceID: String? = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    }

    private let queue: Mutex<[QueuedInvocation]>

    init(_ invocations: [QueuedInvocation]) { queue = Mutex(invocations) }

    var handler: StubHTTPServer.Handler {
        { [self] request in
            if request.method == "GET" && request.path == "/2018-06-01/runtime/invocation/next" {
                guard let next = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
                    return .text("no more invocations", status: 500)
                }
                var headers = [
                    ("Lambda-Runtime-Aws-Request-Id", next.requestID),
                    ("Lambda-Runtime-Deadline-Ms", "\(next.deadlineMilliseconds)"),
                    ("Lambda-Runtime-Invoked-Function-Arn", next.arn),
                ]
                if let trace = next.traceID { headers.append(("Lambda-Runtime-Trace-Id", trace)) }
                return .json(next.body, headers: headers)
            }
            if request.method == "POST" && request.path.hasPrefix("/2018-06-01/runtime/") {
                return .json(#"{"status":"OK"}"#, status: 202)
            }
            return .text("unknown route \(request)", status: 404)
        }
    }
}

/// A log handler that keeps the lines in memory.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined() } }

    func logger(label: String = "test", format: FunctionLogConfiguration.Format = .text) -> Logger {
        Logger(label: label) { label in
            FunctionLogHandler(label: label, format: format, logLevel: .trace) { line in
                self.lines.withLock { $0.append(line) }
            }
        }
    }
}
