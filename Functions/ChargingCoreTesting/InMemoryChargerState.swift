import ChargingCore
import Synchronization

/// A ``ChargerStateStore`` in memory, for tests: the same rules as the Data API store (a disconnect clears the
/// point's connection only while it is still that one; a StatusNotification whose timestamp is older than the
/// stored one's is ignored).
public final class InMemoryChargerState: ChargerStateStore {
    private struct Contents {
        var connections: [String: ChargerConnection] = [:]
        var states: [String: ChargerState] = [:]
        var registrations: [String: ChargerRegistration] = [:]
    }

    private let contents = Mutex(Contents())
    private let failure: (any Error & Sendable)?

    /// An empty store; with `failing`, every call throws that error.
    public init(failing failure: (any Error & Sendable)? = nil) { self.failure = failure }

    /// A store where `chargePointId` is connected on `connectionId` (set up for tests of other handlers).
    public convenience init(connected chargePointId: String, connectionId: String, at: Int64 = 0) {
        self.init()
        contents.withLock {
            let connection = ChargerConnection(
                connectionId: connectionId, chargePointId: chargePointId, connectedAt: at)
            $0.connections[connectionId] = connection
            $0.states[chargePointId, default: ChargerState(chargePointId: chargePointId)].connection = connection
        }
    }

    public func connection(chargePointId: String) async throws -> String? {
        try check()
        return contents.withLock { $0.states[chargePointId]?.connection?.connectionId }
    }

    public func connectorStatuses(chargePointId: String) async throws -> [Int: String] {
        try check()
        return contents.withLock { ($0.states[chargePointId]?.connectors ?? [:]).mapValues(\.status) }
    }

    public func connect(_ connection: ChargerConnection) async throws {
        try check()
        contents.withLock {
            $0.connections[connection.connectionId] = connection
            var state = $0.states[connection.chargePointId] ?? ChargerState(chargePointId: connection.chargePointId)
            state.connection = connection
            state.lastSeen = connection.connectedAt
            $0.states[connection.chargePointId] = state
        }
    }

    public func connected(connectionId: String) async throws -> ChargerConnection? {
        try check()
        return contents.withLock { $0.connections[connectionId] }
    }

    public func disconnect(connectionId: String) async throws -> (connection: ChargerConnection, wasCurrent: Bool)? {
        try check()
        return contents.withLock { contents in
            guard let connection = contents.connections.removeValue(forKey: connectionId) else { return nil }
            let current = contents.states[connection.chargePointId]?.connection?.connectionId == connectionId
            if current { contents.states[connection.chargePointId]?.connection = nil }
            return (connection, current)
        }
    }

    public func recordBoot(chargePointId: String, boot: ChargerBoot) async throws {
        try update(chargePointId) {
            $0.boot = boot
            $0.lastSeen = boot.at
        }
    }

    public func recordHeartbeat(chargePointId: String, at: Int64) async throws {
        try update(chargePointId) {
            $0.lastHeartbeat = at
            $0.lastSeen = at
        }
    }

    public func recordStatus(chargePointId: String, status: ConnectorStatusRecord) async throws -> Bool {
        try check()
        return contents.withLock { contents in
            var state = contents.states[chargePointId] ?? ChargerState(chargePointId: chargePointId)
            if let stored = state.connectors[status.connectorId]?.timestamp, let new = status.timestamp, stored > new {
                return false
            }
            state.connectors[status.connectorId] = status
            state.lastSeen = max(state.lastSeen ?? status.receivedAt, status.receivedAt)
            contents.states[chargePointId] = state
            return true
        }
    }

    public func recordNotification(
        chargePointId: String, kind: ChargerNotificationKind, status: String, at: Int64
    )
        async throws
    {
        try update(chargePointId) {
            switch kind {
            case .diagnostics: $0.diagnosticsStatus = ReportedStatus(status: status, at: at)
            case .firmware: $0.firmwareStatus = ReportedStatus(status: status, at: at)
            }
        }
    }

    public func registeredChargers(limit: Int) async throws -> [RegisteredCharger] {
        try check()
        return contents.withLock { contents in
            contents.registrations.values.sorted { $0.chargePointId < $1.chargePointId }.prefix(limit).map {
                RegisteredCharger(
                    registration: $0,
                    state: contents.states[$0.chargePointId] ?? ChargerState(chargePointId: $0.chargePointId))
            }
        }
    }

    /// Adds a registration that ``registeredChargers(limit:)`` lists (the registry is a separate fake).
    public func register(_ registration: ChargerRegistration) {
        contents.withLock { $0.registrations[registration.chargePointId] = registration }
    }

    /// The stored state of `chargePointId`, for assertions.
    public func state(_ chargePointId: String) -> ChargerState? { contents.withLock { $0.states[chargePointId] } }

    /// The connection index (connectionId → connection), for assertions.
    public var connections: [String: ChargerConnection] { contents.withLock { $0.connections } }

    private func update(_ chargePointId: String, _ change: (inout ChargerState) -> Void) throws {
        try check()
        contents.withLock { change(&$0.states[chargePointId, default: ChargerState(chargePointId: chargePointId)]) }
    }

    private func check() throws {
        if let failure { throw failure }
    }
}
