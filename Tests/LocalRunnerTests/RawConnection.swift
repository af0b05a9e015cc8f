import Dispatch
import Foundation
import Synchronization

/// A blocking loopback TCP connection for tests that need raw HTTP/1.1 bytes (pipelining): writes text, reads
/// whole responses with `Content-Length` bodies. Blocking calls run on a Dispatch thread, with a 60 s receive
/// timeout so that a missing answer fails the test instead of hanging it.
final class RawConnection: Sendable {
    struct Response: Sendable {
        var status: Int
        /// Lower-cased names.
        var headers: [String: String]
        var body: [UInt8]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let descriptor: Int32
    let received = Mutex<[UInt8]>([])

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    static func open(port: Int) async throws -> RawConnection {
        try await onThread { () throws(Failure) -> RawConnection in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket failed") }
            let connection = RawConnection(descriptor: fd)
            var timeout = timeval(tv_sec: 60, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 else { throw Failure(description: "connect to \(port) failed") }
            return connection
        }
    }

    /// Writes `request` and reads one response.
    func exchange(_ request: String) async throws -> Response {
        try await write(request)
        return try await readResponse()
    }

    func write(_ text: String) async throws {
        let bytes = Array(text.utf8)
        try await Self.onThread { () throws(Failure) in
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { Glibc.send(self.descriptor, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { throw Failure(description: "send failed") }
                sent += n
            }
        }
    }

    func readResponse() async throws -> Response {
        try await Self.onThread { () throws(Failure) -> Response in
            while true {
                if let response = self.parse() { return response }
                var chunk = [UInt8](repeating: 0, count: 65536)
                let n = chunk.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { throw Failure(description: "connection closed or timed out") }
                self.received.withLock { $0.append(contentsOf: chunk[..<n]) }
            }
        }
    }

    /// Takes one whole response off the received bytes, if there is one.
    func parse() -> Response? {
        received.withLock { bytes -> Response? in
            let separator = Array("\r\n\r\n".utf8)
            guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator })
            else { return nil }
            let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces)
            }
            let length = headers["content-length"].flatMap { Int($0) } ?? 0
            guard bytes.count >= end + 4 + length else { return nil }
            let body = Array(bytes[(end + 4)..<(end + 4 + length)])
            let status = Int(lines[0].split(separator: " ")[1]) ?? 0
            bytes.removeFirst(end + 4 + length)
            return Response(status: status, headers: headers, body: body)
        }
    }

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws(Failure) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { () throws(Failure) in try body() })
            }
        }
    }
}
