import Foundation

extension TemplateLoader {
    static let scheduleEventProperties: Set<String> = ["Schedule", "Name", "Description", "Enabled", "State"]

    /// A `Schedule` function event (an EventBridge rule): its `rate()` or `cron()` expression, checked as
    /// EventBridge checks it, and whether it is enabled (`Enabled`, or `State: ENABLED|DISABLED`). `name` is the rule's
    /// name unless the event sets `Name`: `<Function><Event>`, as SAM names the rule.
    static func scheduleEvent(
        _ name: String, _ props: [String: TemplateValue], at: String, context: Resolution
    ) throws(LocalRunnerError) -> ScheduleDefinition {
        for key in props.keys where !scheduleEventProperties.contains(key) {
            throw LocalRunnerError(.template, "\(at): Schedule property \(key) is not supported by evcsm-local")
        }
        guard let expression = try context.resolve(props["Schedule"]) else {
            throw LocalRunnerError(.template, "\(at): Schedule event without a Schedule expression")
        }
        let rate: Int?
        do throws(LocalRunnerError) {
            rate = try parseScheduleExpression(expression)
        } catch {
            throw LocalRunnerError(.template, "\(at): \(error.message)")
        }
        var enabled = true
        if let value = try context.resolve(props["Enabled"]) {
            switch value.lowercased() {
            case "true": enabled = true
            case "false": enabled = false
            default: throw LocalRunnerError(.template, "\(at): Enabled must be true or false")
            }
        }
        if let state = try context.resolve(props["State"]) {
            guard ["ENABLED", "DISABLED"].contains(state) else {
                throw LocalRunnerError(.template, "\(at): State must be ENABLED or DISABLED")
            }
            enabled = enabled && state == "ENABLED"
        }
        let ruleName = try context.resolve(props["Name"]) ?? name
        return ScheduleDefinition(name: ruleName, expression: expression, rateSeconds: rate, enabled: enabled)
    }

    /// The period in seconds of `rate(N minute|minutes|hour|hours|day|days)` (the unit singular for 1 only, as
    /// EventBridge requires); nil for a `cron(...)` expression with six fields. Anything else is an error.
    static func parseScheduleExpression(_ expression: String) throws(LocalRunnerError) -> Int? {
        let text = expression.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("rate("), text.hasSuffix(")") {
            let inner = text.dropFirst("rate(".count).dropLast().split(separator: " ", omittingEmptySubsequences: true)
            let units: [String: Int] = [
                "minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86_400, "days": 86_400,
            ]
            guard inner.count == 2, let value = Int(inner[0]), value > 0, let unit = units[String(inner[1])] else {
                throw LocalRunnerError(
                    .template,
                    "schedule \(expression) is not rate(<positive integer> minute|minutes|hour|hours|day|days)")
            }
            guard (value == 1) == !inner[1].hasSuffix("s") else {
                throw LocalRunnerError(
                    .template, "schedule \(expression): the unit must be singular for 1 and plural otherwise")
            }
            let (seconds, overflow) = value.multipliedReportingOverflow(by: unit)
            guard !overflow else { throw LocalRunnerError(.template, "schedule \(expression) is too long") }
            return seconds
        }
        if text.hasPrefix("cron("), text.hasSuffix(")") {
            let fields = text.dropFirst("cron(".count).dropLast().split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 6 else {
                throw LocalRunnerError(
                    .template,
                    "schedule \(expression) is not cron(Minutes Hours Day-of-month Month Day-of-week Year): "
                        + "\(fields.count) fields, EventBridge needs 6")
            }
            guard fields[2] == "?" || fields[4] == "?" else {
                throw LocalRunnerError(
                    .template, "schedule \(expression): Day-of-month or Day-of-week must be ? (EventBridge)")
            }
            return nil
        }
        throw LocalRunnerError(.template, "schedule \(expression) is neither rate(...) nor cron(...)")
    }
}
