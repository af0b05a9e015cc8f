/// MQTT topic filters (`+` one level, `#` the rest) as AWS IoT rules and brokers match them.
public enum TopicFilter {
    /// Whether `topic` matches `filter`.
    public static func matches(_ filter: String, topic: String) -> Bool {
        let f = filter.split(separator: "/", omittingEmptySubsequences: false)
        let t = topic.split(separator: "/", omittingEmptySubsequences: false)
        var i = 0
        while i < f.count {
            if f[i] == "#" { return true }
            guard i < t.count else { return false }
            if f[i] != "+" && f[i] != t[i] { return false }
            i += 1
        }
        return i == t.count
    }

    /// Whether `filter` is a syntactically valid MQTT topic filter.
    public static func isValid(_ filter: String) -> Bool {
        guard !filter.isEmpty else { return false }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (i, level) in levels.enumerated() {
            if level.contains("#") && (level != "#" || i != levels.count - 1) { return false }
            if level.contains("+") && level != "+" { return false }
        }
        return true
    }
}
