import Crypto
import Foundation
import Synchronization

/// The Data API keys a server accepts, replaceable while it runs (key rotation without a restart).
///
/// Only SHA-256 digests of the keys are kept. A presented key is hashed and compared with every digest in
/// constant time (swift-crypto's digest equality), with no early exit, so neither a key's bytes nor its length
/// show in the timing.
public final class APIKeyring: Sendable {
    private let digests: Mutex<[SHA256Digest]>

    /// A keyring accepting `keys` (empty strings are dropped).
    public init(_ keys: Set<String>) {
        digests = Mutex(Self.digests(of: keys))
    }

    /// Whether no key is configured (the controller then requires none; callers allow that on loopback only).
    public var isEmpty: Bool { digests.withLock { $0.isEmpty } }

    /// How many keys are accepted.
    public var count: Int { digests.withLock { $0.count } }

    /// Accepts exactly `keys` from now on.
    public func replace(with keys: Set<String>) {
        let new = Self.digests(of: keys)
        digests.withLock { $0 = new }
    }

    /// Whether `presented` is one of the keys; an empty key never is.
    public func accepts(_ presented: String) -> Bool {
        guard !presented.isEmpty else { return false }
        let digest = SHA256.hash(data: Array(presented.utf8))
        let current = digests.withLock { $0 }
        var accepted = false
        for key in current {
            let equal = key == digest
            accepted = accepted || equal
        }
        return accepted
    }

    private static func digests(of keys: Set<String>) -> [SHA256Digest] {
        keys.filter { !$0.isEmpty }.map { SHA256.hash(data: Array($0.utf8)) }
    }
}

/// A file of Data API keys, one a line (blank lines and surrounding spaces ignored), as `--api-key-file` names.
public struct APIKeyFile: Sendable {
    /// The file's path.
    public let path: String

    public init(path: String) { self.path = path }

    /// The keys in the file; nil when it cannot be read.
    public func read() -> Set<String>? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Set(
            text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty })
    }

    /// What identifies the file's current content cheaply: device, inode, size and modification time (a
    /// rename over the file, as secret mounts and editors do, changes the inode); nil when it is missing.
    public func fingerprint() -> [Int64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [
            Int64(info.st_dev), Int64(info.st_ino), Int64(info.st_size), Int64(info.st_mtim.tv_sec),
            Int64(info.st_mtim.tv_nsec),
        ]
    }
}
