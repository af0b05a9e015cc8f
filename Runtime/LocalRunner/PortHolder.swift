import Foundation

/// Whether a TCP port can be bound, and if not, which process holds it: the socket's inode from
/// `/proc/net/tcp` and `/proc/net/tcp6`, then the process with `socket:[inode]` among its `/proc/<pid>/fd`.
enum PortHolder {
    /// Throws a `code` error `port 1883 is already in use by mosquitto (pid 1234); <advice>` when `host:port`
    /// (IPv4) cannot be bound right now.
    static func ensureFree(
        host: String, port: Int, code: LocalRunnerErrorCode, advice: String
    ) throws(LocalRunnerError) {
        guard !canBind(host: host, port: port) else { return }
        throw LocalRunnerError(code, "port \(port) is already in use \(describeHolder(port: port)); \(advice)")
    }

    /// `by mosquitto (pid 1234)`, or what is known when the holder cannot be seen.
    static func describeHolder(port: Int) -> String {
        let holders = holders(port: port)
        if holders.isEmpty { return "(by a process this user cannot see)" }
        return "by " + holders.map { "\($0.name) (pid \($0.pid))" }.joined(separator: ", ")
    }

    /// Whether a listening socket could bind `host:port` (with `SO_REUSEADDR`, as servers bind, so connections
    /// left in TIME_WAIT do not count). True for a host that is not an IPv4 address: nothing to check there.
    static func canBind(host: String, port: Int) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            return true
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// The processes with a socket bound to `port` open (listening sockets first found), as far as this user
    /// can see them.
    static func holders(port: Int) -> [(name: String, pid: Int32)] {
        let inodes = socketInodes(port: port)
        guard !inodes.isEmpty else { return [] }
        let targets = Set(inodes.map { "socket:[\($0)]" })
        var found: [(name: String, pid: Int32)] = []
        let files = FileManager.default
        for entry in (try? files.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let fds = try? files.contentsOfDirectory(atPath: "/proc/\(entry)/fd")
            else { continue }
            let holds = fds.contains { fd in
                (try? files.destinationOfSymbolicLink(atPath: "/proc/\(entry)/fd/\(fd)")).map(targets.contains)
                    ?? false
            }
            guard holds else { continue }
            let name = (try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            found.append((name: name ?? "?", pid: pid))
        }
        return found.sorted { $0.pid < $1.pid }
    }

    /// Inodes of the TCP sockets bound to `port` in `/proc/net/tcp{,6}`: listening ones if there are any, else all.
    static func socketInodes(port: Int) -> [String] {
        var listening: [String] = []
        var other: [String] = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: /proc files report size 0, and a busy host's table is many pages long.
            let bytes = FileHandle(forReadingAtPath: table).flatMap { try? $0.readToEnd() } ?? Data()
            let text = String(decoding: bytes, as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
                let fields = line.split(separator: " ")
                guard fields.count > 9, let colon = fields[1].lastIndex(of: ":"),
                    Int(fields[1][fields[1].index(after: colon)...], radix: 16) == port, fields[9] != "0"
                else { continue }
                if fields[3] == "0A" { listening.append(String(fields[9])) } else { other.append(String(fields[9])) }
            }
        }
        return listening.isEmpty ? other : listening
    }
}
