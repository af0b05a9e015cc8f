import Foundation

/// Parameter values and resource names that intrinsic functions resolve against.
struct Resolution {
    var parameters: [String: String]
    var parametersWithoutDefault: Set<String> = []
    var resources: Set<String>

    /// Resolves an optional value; nil when absent.
    func resolve(_ value: TemplateValue?) throws(LocalRunnerError) -> String? {
        guard let value else { return nil }
        return try resolve(value)
    }

    /// Resolves a value to a string; nil for `AWS::NoValue`.
    func resolve(_ value: TemplateValue) throws(LocalRunnerError) -> String? {
        switch value {
        case .scalar(let s): return s
        case .intrinsic(let name, let argument):
            switch name {
            case "Ref":
                guard let ref = argument.scalarText else { throw LocalRunnerError(.template, "!Ref needs a name") }
                if ref == "AWS::NoValue" { return nil }
                if let v = parameters[ref] { return v }
                if parametersWithoutDefault.contains(ref) {
                    throw LocalRunnerError(.template, "!Ref \(ref): parameter has no Default")
                }
                if resources.contains(ref) {
                    throw LocalRunnerError(.template, "!Ref \(ref): references a resource, which has no local value")
                }
                throw LocalRunnerError(.template, "!Ref \(ref): no such parameter")
            case "Fn::Sub":
                guard let format = argument.scalarText else {
                    throw LocalRunnerError(.template, "!Sub with a variable map is not supported")
                }
                return try substitute(format)
            case "Fn::Join":
                guard case .list(let parts) = argument, parts.count == 2, let separator = parts[0].scalarText,
                    case .list(let items) = parts[1]
                else { throw LocalRunnerError(.template, "!Join needs [separator, [items]]") }
                var out: [String] = []
                for item in items { if let s = try resolve(item) { out.append(s) } }
                return out.joined(separator: separator)
            default:
                throw LocalRunnerError(.template, "intrinsic function \(name) is not supported")
            }
        default:
            throw LocalRunnerError(.template, "expected a string value")
        }
    }

    func substitute(_ format: String) throws(LocalRunnerError) -> String {
        var out = ""
        var rest = Substring(format)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw LocalRunnerError(.template, "!Sub: unterminated ${ in \(format)")
            }
            let name = String(rest[open.upperBound..<close])
            if name.hasPrefix("!") {
                out += "${" + name.dropFirst() + "}"
            } else if let value = try resolve(.intrinsic("Ref", .scalar(name))) {
                out += value
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}
