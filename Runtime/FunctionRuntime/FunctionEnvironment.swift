#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The process environment, read once at start and passed to whatever needs configuration.
public struct FunctionEnvironment: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    public subscript(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// A required variable; the error names it (and becomes a Runtime API init error).
    public func required(_ name: String) throws(FunctionRuntimeError) -> String {
        guard let value = self[name] else {
            throw FunctionRuntimeError(.invalidEnvironment, "missing required environment variable \(name)")
        }
        return value
    }

    /// A number with a default; a value that is present but not a number is an error naming the variable.
    public func double(_ name: String, default defaultValue: Double) throws(FunctionRuntimeError) -> Double {
        guard let raw = self[name] else { return defaultValue }
        guard let value = Double(raw), value.isFinite else {
            throw FunctionRuntimeError(.invalidEnvironment, "environment variable \(name) is not a number: \(raw)")
        }
        return value
    }

    /// An integer with a default; a value that is present but not an integer is an error naming the variable.
    public func int(_ name: String, default defaultValue: Int) throws(FunctionRuntimeError) -> Int {
        guard let raw = self[name] else { return defaultValue }
        guard let value = Int(raw) else {
            throw FunctionRuntimeError(.invalidEnvironment, "environment variable \(name) is not an integer: \(raw)")
        }
        return value
    }
}
