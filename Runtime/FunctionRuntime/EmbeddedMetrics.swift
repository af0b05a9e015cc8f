import Essentials
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One value of a metric a function reports, e.g. `RejectedReadings` = 2 (`Count`).
public struct MetricValue: Sendable, Hashable {
    /// A CloudWatch unit (the ones evcsm uses).
    public enum Unit: String, Sendable, Hashable {
        case count = "Count"
        case milliseconds = "Milliseconds"
        case none = "None"
    }

    public var name: String
    public var unit: Unit
    public var value: Double

    public init(_ name: String, _ value: Double, unit: Unit = .count) {
        self.name = name
        self.unit = unit
        self.value = value
    }
}

/// Where a function reports metrics. Protocol-typed so handlers get it injected and tests record it.
public protocol MetricsEmitter: Sendable {
    /// Reports `values` (one line, one timestamp); an empty list reports nothing.
    func emit(_ values: [MetricValue])
}

/// A ``MetricsEmitter`` that reports nothing.
public struct DiscardingMetricsEmitter: MetricsEmitter {
    public init() {}
    public func emit(_ values: [MetricValue]) {}
}

/// Reports metrics as CloudWatch Embedded Metric Format lines on stdout: one JSON object per ``emit(_:)``,
/// `{"_aws":{"Timestamp":…,"CloudWatchMetrics":[{"Namespace":"evcsm","Dimensions":[["FunctionName"]],
/// "Metrics":[{"Name":…,"Unit":…}]}]},"FunctionName":…,"<Name>":<value>}`. In Lambda, CloudWatch Logs extracts
/// the metrics from the log stream; `evcsm-local` reads the same lines from its workers and counts them on
/// `/metrics` (`evcsm_function_metric_total`).
public struct EmbeddedMetricsEmitter: MetricsEmitter {
    /// The CloudWatch namespace of every metric.
    public let namespace: String
    /// The `FunctionName` dimension.
    public let functionName: String
    private let now: @Sendable () -> Int64
    private let write: @Sendable (String) -> Void

    /// Serializes whole lines on stdout, so lines from concurrent tasks never interleave.
    private static let standardOutput = Mutex(Int32(1))

    /// An emitter writing to stdout, timestamped with the system clock.
    public init(namespace: String = "evcsm", functionName: String) {
        self.init(
            namespace: namespace, functionName: functionName,
            now: { Timestamp.nowMilliseconds() }
        ) { line in
            EmbeddedMetricsEmitter.standardOutput.withLock { SystemIO.write(line, to: $0) }
        }
    }

    /// An emitter handing each line (with its newline) to `write`, timestamped by `now` (for tests).
    public init(
        namespace: String, functionName: String, now: @escaping @Sendable () -> Int64,
        write: @escaping @Sendable (String) -> Void
    ) {
        self.namespace = namespace
        self.functionName = functionName
        self.now = now
        self.write = write
    }

    /// The emitter of a function binary: `FunctionName` from `AWS_LAMBDA_FUNCTION_NAME` (Lambda and
    /// `evcsm-local` set it).
    public static func fromEnvironment(_ env: FunctionEnvironment) -> EmbeddedMetricsEmitter {
        EmbeddedMetricsEmitter(functionName: env["AWS_LAMBDA_FUNCTION_NAME"] ?? "unknown")
    }

    public func emit(_ values: [MetricValue]) {
        guard !values.isEmpty, let line = line(values) else { return }
        write(line + "\n")
    }

    /// The EMF JSON object of `values` (without a newline); nil only if encoding fails.
    public func line(_ values: [MetricValue]) -> String? {
        let document = Line(
            aws: .init(
                timestamp: now(),
                directives: [
                    .init(
                        namespace: namespace, dimensions: [["FunctionName"]],
                        metrics: values.map { .init(name: $0.name, unit: $0.unit.rawValue) })
                ]),
            functionName: functionName, values: values)
        guard let data = try? JSONCoding.encoder.encode(document) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The encoded shape of one line.
    private struct Line: Encodable {
        struct Metadata: Encodable {
            let timestamp: Int64
            let directives: [Directive]
            enum CodingKeys: String, CodingKey {
                case timestamp = "Timestamp"
                case directives = "CloudWatchMetrics"
            }
        }
        struct Directive: Encodable {
            let namespace: String
            let dimensions: [[String]]
            let metrics: [Definition]
            enum CodingKeys: String, CodingKey {
                case namespace = "Namespace"
                case dimensions = "Dimensions"
                case metrics = "Metrics"
            }
        }
        struct Definition: Encodable {
            let name: String
            let unit: String
            enum CodingKeys: String, CodingKey {
                case name = "Name"
                case unit = "Unit"
            }
        }
        struct Key: CodingKey {
            let stringValue: String
            var intValue: Int? { nil }
            init(_ name: String) { stringValue = name }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        let aws: Metadata
        let functionName: String
        let values: [MetricValue]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(aws, forKey: Key("_aws"))
            try container.encode(functionName, forKey: Key("FunctionName"))
            for value in values where value.name != "_aws" && value.name != "FunctionName" {
                try container.encode(value.value.isFinite ? value.value : 0, forKey: Key(value.name))
            }
        }
    }
}
