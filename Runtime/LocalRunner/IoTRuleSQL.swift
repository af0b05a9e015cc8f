import Foundation

extension TemplateLoader {
    /// Parses an IoT rule SQL statement of the forms evcsm supports:
    /// `SELECT <items> FROM '<filter>'` where items are `*`, `encode(*, 'base64') AS x`, `topic() AS x`,
    /// `timestamp() AS x`. WHERE clauses and other functions are errors.
    public static func parseRuleSQL(_ sql: String) throws(LocalRunnerError) -> TopicRule {
        let text = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        let statement = /^(?i:SELECT)\s+(?<items>.+?)\s+(?i:FROM)\s+'(?<filter>[^']+)'\s*(?<rest>.*)$/
            .dotMatchesNewlines()
        guard let match = text.wholeMatch(of: statement) else {
            throw LocalRunnerError(.template, "IoT rule SQL is not SELECT … FROM '<topic filter>': \(sql)")
        }
        guard match.output.rest.isEmpty else {
            throw LocalRunnerError(.template, "IoT rule SQL clause not supported: \(match.output.rest)")
        }
        var items: [TopicRule.SelectItem] = []
        var remaining = Substring(match.output.items)
        let base64 = /^\s*(?i:encode)\(\s*\*\s*,\s*'base64'\s*\)\s+(?i:AS)\s+(\w+)\s*(,|$)/
        let topic = /^\s*(?i:topic)\(\s*\)\s+(?i:AS)\s+(\w+)\s*(,|$)/
        let timestamp = /^\s*(?i:timestamp)\(\s*\)\s+(?i:AS)\s+(\w+)\s*(,|$)/
        let star = /^\s*\*\s*(,|$)/
        while !remaining.trimmingCharacters(in: .whitespaces).isEmpty {
            if let m = remaining.prefixMatch(of: base64) {
                items.append(.payloadBase64(String(m.output.1)))
                remaining = remaining[m.range.upperBound...]
            } else if let m = remaining.prefixMatch(of: topic) {
                items.append(.topic(String(m.output.1)))
                remaining = remaining[m.range.upperBound...]
            } else if let m = remaining.prefixMatch(of: timestamp) {
                items.append(.timestamp(String(m.output.1)))
                remaining = remaining[m.range.upperBound...]
            } else if let m = remaining.prefixMatch(of: star) {
                items.append(.payload)
                remaining = remaining[m.range.upperBound...]
            } else {
                throw LocalRunnerError(.template, "IoT rule SELECT item not supported: \(remaining)")
            }
        }
        let filter = String(match.output.filter)
        guard TopicFilter.isValid(filter) else {
            throw LocalRunnerError(.template, "IoT rule topic filter is not valid: \(filter)")
        }
        return TopicRule(filter: filter, select: items)
    }
}
