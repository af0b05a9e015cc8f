import ChargingCore
import FunctionRuntime
import Logging
import Synchronization

/// A ``ChargingPointRegistry`` in memory with the Data API registry's rules (register only without credentials or
/// over an abandoned unprovisioned registration; confirm and withdraw by salt). Its writes can be made to fail.
final class InMemoryRegistry: ChargingPointRegistry {
    struct Unavailable: Error {}

    let stored = Mutex<[String: ChargerRegistration]>([:])
    let failingWithdrawals = Mutex(false)
    /// How many writes (register, confirm, withdraw) were made.
    let writes = Mutex(0)

    init(_ registrations: [ChargerRegistration] = []) {
        stored.withLock { map in for r in registrations { map[r.chargePointId] = r } }
    }

    var all: [ChargerRegistration] { stored.withLock { Array($0.values) } }

    func register(_ registration: ChargerRegistration) async throws -> Bool {
        writes.withLock { $0 += 1 }
        return stored.withLock { map in
            if let existing = map[registration.chargePointId], !existing.isAbandoned(now: registration.registeredAt) {
                return false
            }
            map[registration.chargePointId] = registration
            return true
        }
    }

    func confirm(chargePointId: String, salt: [UInt8]) async throws -> Bool {
        writes.withLock { $0 += 1 }
        return stored.withLock { map in
            guard map[chargePointId]?.credentials.salt == salt else { return false }
            map[chargePointId]?.provisioned = true
            return true
        }
    }

    func withdraw(chargePointId: String, salt: [UInt8]) async throws {
        writes.withLock { $0 += 1 }
        if failingWithdrawals.withLock({ $0 }) { throw Unavailable() }
        stored.withLock { map in
            if map[chargePointId]?.credentials.salt == salt { map[chargePointId] = nil }
        }
    }

    func registration(chargePointId: String) async throws -> ChargerRegistration? {
        stored.withLock { $0[chargePointId] }
    }
}

/// An ``MqttClientProvisioner`` that records what it was asked and can refuse.
final class RecordingProvisioner: MqttClientProvisioner {
    struct Refused: Error {}

    let calls = Mutex<[(username: String, password: String, role: String)]>([])
    let refuses = Mutex(false)

    init(refusing: Bool = false) { refuses.withLock { $0 = refusing } }

    func provision(username: String, password: String, role: String) async throws {
        calls.withLock { $0.append((username, password, role)) }
        if refuses.withLock({ $0 }) { throw Refused() }
    }

    var usernames: [String] { calls.withLock { $0.map(\.username) } }
}

/// Log lines written during a test, to show what never appears in them.
final class LogLines: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "test") { label in
            FunctionLogHandler(label: label, format: .json, logLevel: .trace) { line in
                self.lines.withLock { $0.append(line) }
            }
        }
    }

    var text: String { lines.withLock { $0.joined() } }
}
