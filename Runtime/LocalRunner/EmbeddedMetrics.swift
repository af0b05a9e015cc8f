import ChildProcesses
import Logging

/// CloudWatch Embedded Metric Format (EMF) in the local runner: a function reports a metric by writing one JSON
/// object per line on stdout, `{"_aws":{"Timestamp":…,"CloudWatchMetrics":[{"Namespace":…,"Dimensions":[…],
/// "Metrics":[{"Name":…,"Unit":…}]}]},"<Name>":<value>,…}`, which CloudWatch Logs turns into metrics in the cloud.
/// The runner knows nothing of what the metrics mean: it recognises such lines from any worker and adds every
/// value to the counter `evcsm_function_metric_total{function,namespace,name}` on `/metrics`.
enum EmbeddedMetrics {
    /// One metric value of an EMF line.
    struct Value: Sendable, Hashable {
        var namespace: String
        var name: String
        var value: Double
    }

    /// The metric values of an EMF line; nil for any other line (not JSON, no `_aws.CloudWatchMetrics`). A value
    /// given as an array (EMF allows up to 100) counts as its sum; a metric without a numeric value is skipped.
    static func parse(_ line: String) -> [Value]? {
        guard line.utf8.first == UInt8(ascii: "{"), line.contains("\"_aws\""),
            case .object(let root)? = JSONValue.parse(Array(line.utf8)),
            case .object(let aws)? = root["_aws"], case .array(let directives)? = aws["CloudWatchMetrics"]
        else { return nil }
        var values: [Value] = []
        for case .object(let directive) in directives {
            guard case .string(let namespace)? = directive["Namespace"],
                case .array(let metrics)? = directive["Metrics"]
            else { continue }
            for case .object(let metric) in metrics {
                guard case .string(let name)? = metric["Name"], let value = root[name].flatMap(sum) else { continue }
                values.append(Value(namespace: namespace, name: name, value: value))
            }
        }
        return values
    }

    /// A number, or the sum of an array of numbers; nil for anything else.
    private static func sum(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let n): return Double(n)
        case .unsigned(let n): return Double(n)
        case .number(let n): return n.isFinite ? n : nil
        case .array(let items):
            let numbers = items.compactMap(sum)
            return numbers.count == items.count ? numbers.reduce(0, +) : nil
        default: return nil
        }
    }

    /// A worker's stdout: each line logged as `function | line`, and the values of an EMF line counted.
    static func workerOutput(logger: Logger, function: String, metrics: RunnerMetrics) -> ChildProcess.Output {
        .lines { line in
            logger.info("\(function) | \(line)")
            for value in parse(line) ?? [] {
                metrics.recordFunctionMetric(
                    function: function, namespace: value.namespace, name: value.name, value: value.value)
            }
        }
    }
}
