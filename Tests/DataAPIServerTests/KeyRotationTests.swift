import BSON
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TestSupport
import Testing

@testable import DataAPIServer

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Key rotation without a restart: add the new key to the `--api-key-file`, move the clients, remove the old
/// key. Both work in between; the old one stops working once removed; a file emptied by mistake or deleted
/// never opens the server.
@Suite("Data API key rotation")
struct KeyRotationTests {
    static let old = "old-key-0123456789"
    static let new = "new-key-9876543210"

    /// Replaces the file by rename, as secret mounts and editors do (a new inode, so the change is seen
    /// whatever the clock's resolution).
    static func write(_ lines: [String], to path: String) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    func status(_ client: any TestClientProtocol, key: String) async throws -> HTTPResponse.Status {
        let body = ByteBuffer(string: #"{"dataSource":"mongodb-atlas","database":"d","collection":"c","filter":{}}"#)
        return try await client.executeRequest(
            uri: "/action/find", method: .post, headers: [.contentType: "application/json", .init("apiKey")!: key],
            body: body
        ).status
    }

    @Test("the controller accepts old and new keys until the old one is removed from the file")
    func rotationThroughTheWatcher() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let keyFile = directory.path + "/keys"
        try Self.write([Self.old], to: keyFile)
        let file = APIKeyFile(path: keyFile)
        let keyring = APIKeyring(try #require(file.read()))
        let watcher = APIKeyFileWatcher(file: file, fixedKeys: [], keyring: keyring, logger: Logger(label: "test"))
        let router = Router()
        DataAPIController<BasicRequestContext>(
            backend: try SQLiteDocumentBackend(path: directory.path + "/db.sqlite"), keyring: keyring,
            logger: Logger(label: "test")
        ).addRoutes(to: router.group())
        try await Application(router: router).test(.router) { client in
            #expect(try await status(client, key: Self.old) == .ok)
            #expect(try await status(client, key: Self.new) == .unauthorized)
            #expect(!watcher.reloadIfChanged())  // unchanged file: nothing to do

            try Self.write([Self.old, Self.new], to: keyFile)
            #expect(watcher.reloadIfChanged())
            #expect(try await status(client, key: Self.old) == .ok)
            #expect(try await status(client, key: Self.new) == .ok)

            try Self.write([Self.new], to: keyFile)
            #expect(watcher.reloadIfChanged())
            #expect(try await status(client, key: Self.old) == .unauthorized)
            #expect(try await status(client, key: Self.new) == .ok)

            try Self.write([], to: keyFile)  // emptied by mistake: the server stays closed, with the last keys
            #expect(!watcher.reloadIfChanged())
            #expect(try await status(client, key: Self.new) == .ok)
            #expect(try await status(client, key: "") == .unauthorized)
            try FileManager.default.removeItem(atPath: keyFile)
            #expect(!watcher.reloadIfChanged())
            #expect(try await status(client, key: Self.new) == .ok)
        }
    }

    @Test("fixed keys (--api-key, DATA_API_KEYS) survive every reload")
    func fixedKeysStay() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let keyFile = directory.path + "/keys"
        try Self.write([Self.old], to: keyFile)
        let keyring = APIKeyring([Self.old, "fixed"])
        let watcher = APIKeyFileWatcher(
            file: APIKeyFile(path: keyFile), fixedKeys: ["fixed"], keyring: keyring, logger: Logger(label: "test"))
        try Self.write([Self.new], to: keyFile)
        #expect(watcher.reloadIfChanged())
        #expect(keyring.accepts("fixed") && keyring.accepts(Self.new) && !keyring.accepts(Self.old))
    }

    @Test("the keyring compares whole keys: prefixes, extensions and empty keys are refused")
    func keyringComparesWholeKeys() {
        let keyring = APIKeyring([Self.old, ""])
        #expect(keyring.count == 1)
        #expect(keyring.accepts(Self.old))
        for wrong in ["", String(Self.old.dropLast()), Self.old + "x", Self.old.uppercased()] {
            #expect(!keyring.accepts(wrong))
        }
    }

    @Test("evcsm-data-api picks up a rotated --api-key-file without a restart")
    func rotationInTheServerProcess() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let keyFile = directory.path + "/keys"
        try Self.write([Self.old], to: keyFile)
        let child = try ChildProcess.start(
            try PersistenceTests.binary(),
            arguments: ["--port", "0", "--sqlite", directory.path + "/db.sqlite", "--api-key-file", keyFile],
            environment: ["DATA_API_KEYS": ""])
        defer { child.kill() }
        try await child.waitForOutput(containing: "listening on http://", timeout: .seconds(60))
        let line = child.standardOutputText.split(separator: "\n").first { $0.contains("listening on http://") } ?? ""
        let base = String(line[line.range(of: "http://")!.lowerBound...])
        #expect(try await Self.call(base, key: Self.old) == 200)
        #expect(try await Self.call(base, key: Self.new) == 401)

        try Self.write([Self.old, Self.new], to: keyFile)
        try await Self.eventually("the new key is accepted") { try await Self.call(base, key: Self.new) == 200 }
        #expect(try await Self.call(base, key: Self.old) == 200)

        try Self.write([Self.new], to: keyFile)
        try await Self.eventually("the old key is refused") { try await Self.call(base, key: Self.old) == 401 }
        #expect(try await Self.call(base, key: Self.new) == 200)
        let log = child.standardErrorText
        #expect(!log.contains(Self.old) && !log.contains(Self.new))
    }

    static func call(_ base: String, key: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "\(base)/action/find")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(key, forHTTPHeaderField: "apiKey")
        request.httpBody = Data(#"{"dataSource":"mongodb-atlas","database":"d","collection":"c","filter":{}}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// Waits for `condition` (polling every 100 ms) up to a generous deadline.
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting until \(what)")
    }
}
