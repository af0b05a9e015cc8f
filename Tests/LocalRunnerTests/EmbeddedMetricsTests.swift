import FunctionRuntime
import Testing

@testable import LocalRunner

/// CloudWatch Embedded Metric Format lines from workers become `evcsm_function_metric_total` counters.
@Suite("Embedded metrics (EMF) in the runner")
struct EmbeddedMetricsTests {
    static let line =
        #"{"_aws":{"Timestamp":1795691395123,"CloudWatchMetrics":[{"Namespace":"evcsm","Dimensions":[["FunctionName"]],"#
        + #""Metrics":[{"Name":"RejectedReadings","Unit":"Count"}]}]},"FunctionName":"MeterValues","RejectedReadings":1}"#

    @Test("an EMF line yields its values by namespace and name")
    func parse() throws {
        let values = try #require(EmbeddedMetrics.parse(Self.line))
        #expect(values == [.init(namespace: "evcsm", name: "RejectedReadings", value: 1)])
    }

    @Test("several directives and metrics, array values summed, metrics without a numeric value skipped")
    func parseMany() throws {
        let line =
            #"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"a","Metrics":[{"Name":"X"},{"Name":"Y"}]},"#
            + #"{"Namespace":"b","Metrics":[{"Name":"Z"},{"Name":"Missing"}]}]},"X":[1,2,3.5],"Y":2,"Z":"text"}"#
        let values = try #require(EmbeddedMetrics.parse(line))
        #expect(values == [.init(namespace: "a", name: "X", value: 6.5), .init(namespace: "a", name: "Y", value: 2)])
    }

    @Test(
        "other lines are not EMF",
        arguments: [
            "", "hello", "{}", #"{"_aws":1}"#, #"{"message":"_aws"}"#, #"{"_aws":{"CloudWatchMetrics":{}}}"#,
            #"2026-12-01T10:27:23+0000 info evcsm: {"_aws":{}}"#, #"{"_aws":{"CloudWatchMetrics":[]"#,
        ])
    func notEMF(line: String) {
        #expect(EmbeddedMetrics.parse(line)?.isEmpty ?? true)
    }

    @Test("the function runtime's emitter writes lines the runner reads back")
    func roundTrip() throws {
        let emitter = EmbeddedMetricsEmitter(
            namespace: "evcsm", functionName: "MeterValues", now: { 5 }, write: { _ in })
        let line = try #require(emitter.line([MetricValue("RejectedReadings", 3), MetricValue("Other", 0.5)]))
        #expect(
            EmbeddedMetrics.parse(line)
                == [
                    .init(namespace: "evcsm", name: "RejectedReadings", value: 3),
                    .init(namespace: "evcsm", name: "Other", value: 0.5),
                ])
    }

    @Test("values add up per function, namespace and name on /metrics")
    func counted() {
        let metrics = RunnerMetrics()
        for _ in 0..<2 {
            for value in EmbeddedMetrics.parse(Self.line) ?? [] {
                metrics.recordFunctionMetric(
                    function: "MeterValues", namespace: value.namespace, name: value.name, value: value.value)
            }
        }
        metrics.recordFunctionMetric(function: "StartSession", namespace: "evcsm", name: "RejectedReadings", value: 4)
        let text = metrics.prometheusText()
        #expect(
            text.contains(
                #"evcsm_function_metric_total{function="MeterValues",namespace="evcsm",name="RejectedReadings"} 2"#),
            "\(text)")
        #expect(
            text.contains(
                #"evcsm_function_metric_total{function="StartSession",namespace="evcsm",name="RejectedReadings"} 4"#))
        #expect(text.contains("# HELP evcsm_function_metric_total"))
    }
}
