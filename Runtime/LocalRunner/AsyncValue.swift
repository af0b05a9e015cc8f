import Synchronization

/// A value that is set once and awaited by anyone who needs it (the bound HTTP address, for example).
public final class AsyncValue<Value: Sendable>: Sendable {
    struct State {
        var value: Value?
        var waiters: [CheckedContinuation<Value, Never>] = []
    }

    let state = Mutex(State())

    public init() {}

    /// Sets the value (first call wins) and wakes every waiter.
    public func set(_ value: Value) {
        let waiters = state.withLock { s -> [CheckedContinuation<Value, Never>] in
            guard s.value == nil else { return [] }
            s.value = value
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value, if set.
    public var current: Value? { state.withLock { $0.value } }

    /// Waits for the value.
    public var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { s -> Value? in
                    if let v = s.value { return v }
                    s.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
