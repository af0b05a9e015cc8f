import Foundation

/// `evcsm-local --dump-template`: the runner's parsed view of the template as JSON
/// `{functions: [{logicalId, routes: [{method, path}], topics: [filter], queues: [{queue, batchSize,
/// maximumBatchingWindowInSeconds, reportBatchItemFailures, maximumConcurrency?}], environment, timeout,
/// memorySize}], queues: [{logicalId, visibilityTimeout, messageRetentionPeriod, delaySeconds, deadLetterQueue?,
/// maxReceiveCount?}]}`. A function's `topics` are every IoT rule topic filter whose messages reach it, directly
/// (Lambda action, IoTRule event) or through a queue it reads (Sqs action).
public enum TemplateDump {
    public static func json(_ model: TemplateModel) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(model), as: UTF8.self)
    }
}
