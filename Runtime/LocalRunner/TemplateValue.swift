import Yams

/// A YAML value with CloudFormation intrinsics made explicit.
indirect enum TemplateValue: Equatable, Sendable {
    case scalar(String)
    case list([TemplateValue])
    case map([(String, TemplateValue)])
    case intrinsic(String, TemplateValue)
    case null

    static func == (a: TemplateValue, b: TemplateValue) -> Bool {
        switch (a, b) {
        case (.scalar(let x), .scalar(let y)): return x == y
        case (.list(let x), .list(let y)): return x == y
        case (.map(let x), .map(let y)): return x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
        case (.intrinsic(let n, let x), .intrinsic(let m, let y)): return n == m && x == y
        case (.null, .null): return true
        default: return false
        }
    }

    init(_ node: Node) {
        let tag = node.tag.description
        var plain: TemplateValue
        switch node {
        case .scalar(let s):
            plain = .scalar(s.string)
        case .sequence(let s): plain = .list(s.map { TemplateValue($0) })
        case .mapping(let m):
            let pairs = m.map { (key: $0.key.string ?? "", value: TemplateValue($0.value)) }
            plain = .map(pairs.map { ($0.key, $0.value) })
            if pairs.count == 1, pairs[0].key == "Ref" || pairs[0].key.hasPrefix("Fn::") {
                plain = .intrinsic(pairs[0].key, pairs[0].value)
            }
        case .alias: plain = .null
        }
        if tag.hasPrefix("!") {
            let name = String(tag.dropFirst())
            if name == "GetAtt", case .scalar(let s) = plain {
                plain = .list(s.split(separator: ".", maxSplits: 1).map { .scalar(String($0)) })
            }
            self = .intrinsic(name == "Ref" ? "Ref" : "Fn::\(name)", plain)
        } else {
            self = plain
        }
    }

    var scalarText: String? {
        if case .scalar(let s) = self { return s }
        return nil
    }

    subscript(_ key: String) -> TemplateValue? {
        if case .map(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }
}

extension Array where Element == (String, TemplateValue) {
    subscript(_ key: String) -> TemplateValue? { first { $0.0 == key }?.1 }
    var keys: [String] { map(\.0) }
}

extension Dictionary where Key == String, Value == TemplateValue {
    init(_ pairs: [(String, TemplateValue)]) {
        self.init(pairs, uniquingKeysWith: { _, last in last })
    }
}
