import Logging
import ServiceLifecycle
import Synchronization

/// Re-reads an `--api-key-file` when it changes, so keys rotate without a restart: add the new key, move the
/// clients over, remove the old one. It polls the file's ``APIKeyFile/fingerprint()`` every ``interval``
/// (2 s by default) rather than waiting for SIGHUP, so a mounted secret that is replaced in place is seen
/// without anyone signalling the server. The accepted keys are the file's plus the fixed ones (flags,
/// environment). A file that cannot be read or holds no key while no fixed key exists leaves the current keys
/// in place (never an open server by accident); both are logged without any key.
public struct APIKeyFileWatcher: Service {
    public let file: APIKeyFile
    public let fixedKeys: Set<String>
    public let keyring: APIKeyring
    public let interval: Duration
    let logger: Logger
    private let seen: SeenFingerprint

    public init(
        file: APIKeyFile, fixedKeys: Set<String>, keyring: APIKeyring, interval: Duration = .seconds(2),
        logger: Logger
    ) {
        self.file = file
        self.fixedKeys = fixedKeys
        self.keyring = keyring
        self.interval = interval
        self.logger = logger
        seen = SeenFingerprint(file.fingerprint())
    }

    /// Polls until the service group shuts down.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            reloadIfChanged()
        }
    }

    /// Reloads the keys when the file's fingerprint differs from the last one seen; true when it reloaded.
    @discardableResult
    public func reloadIfChanged() -> Bool {
        let fingerprint = file.fingerprint()
        guard seen.update(fingerprint) else { return false }
        guard let keys = file.read() else {
            logger.warning("Data API key file unreadable; keeping the current keys", metadata: ["path": "\(file.path)"])
            return false
        }
        let accepted = keys.union(fixedKeys)
        guard !accepted.isEmpty else {
            logger.warning(
                "Data API key file holds no key; keeping the current keys", metadata: ["path": "\(file.path)"])
            return false
        }
        keyring.replace(with: accepted)
        logger.notice("Data API keys reloaded", metadata: ["path": "\(file.path)", "keys": "\(accepted.count)"])
        return true
    }
}

/// The last fingerprint a watcher saw.
final class SeenFingerprint: Sendable {
    private let value: Mutex<[Int64]?>
    init(_ initial: [Int64]?) { value = Mutex(initial) }

    /// Stores `new`; true when it differs from the previous one.
    func update(_ new: [Int64]?) -> Bool {
        value.withLock { current in
            guard current != new else { return false }
            current = new
            return true
        }
    }
}
