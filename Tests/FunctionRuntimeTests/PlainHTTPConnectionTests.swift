import Foundation
import Synchronization
import Testing

@testable import FunctionRuntime

#if canImport(Glibc)
import Glibc
#endif

@Suite("PlainHTTPConnection")
struct PlainHTTPConnectionTests {
    @Test func plainURLsAreParsedAndOthersLeftToCurl() throws {
        let target = try #require(PlainHTTPTarget("http://127.0.0.1:9001/2018-06-01/runtime/invocation/next?x=1#f"))
        #expect(target.host == "127.0.0.1")
        #expect(target.port == 9001)
        #expect(target.hostHeader == "127.0.0.1:9001")
        #expect(target.target == "/2018-06-01/runtime/invocation/next?x=1")
        let bare = try #require(PlainHTTPTarget("http://data-api"))
        #expect(bare.port == 80 && bare.hostHeader == "data-api" && bare.target == "/")
        #expect(PlainHTTPTarget("http://h?q=1")?.target == "/?q=1")
        for url in [
            "https://h/", "http://user:pw@h/", "http://[::1]:80/", "http://h:0/", "http://h:x/", "http:///a",
            "http://h/a b", "ftp://h/",
        ] {
            #expect(PlainHTTPTarget(url) == nil, "\(url)")
        }
    }

    @Test func chunkedInterimCloseAndStaleConnections() async throws {
        // Per connection, each answer after one request; `true` closes the connection right after it (without
        // saying so, or as the answer says).
        let server = try ScriptedServer(script: [
            [
                (
                    1,
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\nT: 1\r\n\r\n",
                    false
                ),
                (
                    1,
                    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-A: 1\r\nx-a: 2\r\n\r\nok",
                    true
                ),
            ],
            [(1, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\ntwo", true)],
            [(1, "HTTP/1.1 204 No Content\r\n\r\n", false), (1, "HTTP/1.0 200 OK\r\n\r\nuntil the end", true)],
        ])
        defer { server.stop() }
        let client = CurlHTTPClient()
        let url = "http://127.0.0.1:\(server.port)/p"
        let first = try client.send(HTTPClientRequest(method: "GET", url: url))
        #expect(first.status == 200)
        #expect(String(decoding: first.body, as: UTF8.self) == "Wikipedia")
        let second = try client.send(HTTPClientRequest(method: "POST", url: url, body: [1]))
        #expect(second.status == 201 && second.body == Array("ok".utf8))
        #expect(second.headers["x-a"] == "1, 2")
        // The server closed after the second answer: the third goes out again on a new connection.
        let third = try client.send(HTTPClientRequest(method: "GET", url: url))
        #expect(String(decoding: third.body, as: UTF8.self) == "two")
        let fourth = try client.send(HTTPClientRequest(method: "DELETE", url: url))
        #expect(fourth.status == 204 && fourth.body.isEmpty)
        let fifth = try client.send(HTTPClientRequest(method: "GET", url: url))
        #expect(String(decoding: fifth.body, as: UTF8.self) == "until the end")
        #expect(server.connections == 3)
        let heads = server.received.map { String(decoding: $0, as: UTF8.self) }
        #expect(heads.count == 5)
        #expect(heads.first?.hasPrefix("GET /p HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nAccept: */*\r\n") == true)
        #expect(heads[1].contains("Content-Length: 1\r\n"))
        #expect(!heads[3].contains("Content-Length"))
    }

    @Test func requestsAreEncodedLikeCurl() throws {
        let target = try #require(PlainHTTPTarget("http://h:8/a"))
        let post = PlainHTTPConnection.encode(
            HTTPClientRequest(method: "post", url: "", headers: [("Accept", "application/ejson")]), target)
        #expect(
            String(decoding: post, as: UTF8.self)
                == "POST /a HTTP/1.1\r\nHost: h:8\r\nAccept: application/ejson\r\nContent-Length: 0\r\n\r\n")
    }
}

/// A loopback server that, per connection, waits for a number of complete requests (head and `Content-Length`
/// body), records the bytes of those requests as one chunk, then writes a scripted answer (and closes when told),
/// counting connections.
final class ScriptedServer: @unchecked Sendable {
    /// Per connection, its steps: (requests to wait for, answer, close after it).
    typealias Script = [[(Int, String, Bool)]]
    let port: Int
    private let listener: Int32
    private let state = Mutex<(received: [[UInt8]], connections: Int)>(([], 0))
    private let script: Script

    /// Each step's request bytes, in order.
    var received: [[UInt8]] { state.withLock { $0.received } }
    /// The connections accepted so far.
    var connections: Int { state.withLock { $0.connections } }

    init(script: Script) throws {
        self.script = script
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw FunctionRuntimeError(.transport, "cannot listen") }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in serve() }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve() {
        for steps in script {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            state.withLock { $0.connections += 1 }
            var buffer: [UInt8] = []
            for (count, answer, closeAfter) in steps {
                while Self.completeRequests(buffer) < count {
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    let read = recv(connection, &chunk, chunk.count, 0)
                    guard read > 0 else { break }
                    buffer += chunk[..<read]
                }
                state.withLock { $0.received.append(buffer) }
                buffer = []
                _ = Array(answer.utf8).withUnsafeBytes {
                    send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if closeAfter { break }
            }
            close(connection)
        }
    }

    /// How many whole requests `bytes` holds.
    static func completeRequests(_ bytes: [UInt8]) -> Int {
        var count = 0
        var start = 0
        while let end = (start..<max(start, bytes.count - 3)).first(where: { bytes[$0..<($0 + 4)] == [13, 10, 13, 10] })
        {
            let head = String(decoding: bytes[start..<end], as: UTF8.self).lowercased()
            let length =
                head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            guard end + 4 + length <= bytes.count else { break }
            count += 1
            start = end + 4 + length
        }
        return count
    }
}
