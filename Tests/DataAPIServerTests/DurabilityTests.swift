import DataAPIServer
import Foundation
import Testing

/// README's durability claim rests on two settings of the store's writing connection: WAL and
/// `synchronous=NORMAL` (every acknowledged write survives a process crash; a power loss may lose the last
/// moments). GRDB's WAL set-up resets `synchronous` after `prepareDatabase`, so the value is read back here.
@Suite("SQLite durability settings")
struct DurabilityTests {
    @Test("the writer runs journal_mode=wal and synchronous=NORMAL, also after reopening the file")
    func settings() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evcsm-durability-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for _ in 0..<2 {
            let backend = try SQLiteDocumentBackend(path: directory.path + "/store.sqlite")
            let settings = try await backend.durabilitySettings()
            #expect(settings.journalMode == "wal")
            #expect(settings.synchronous == 1, "1 = NORMAL")
        }
    }
}
