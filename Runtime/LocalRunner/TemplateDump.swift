import Foundation

/// `evcsm-local --dump-template`: the runner's parsed view of the template as JSON
/// `{functions: [{logicalId, routes: [{method, path}], topics: [filter], environment, timeout, memorySize}]}`.
public enum TemplateDump {
    public static func json(_ model: TemplateModel) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(model), as: UTF8.self)
    }
}
