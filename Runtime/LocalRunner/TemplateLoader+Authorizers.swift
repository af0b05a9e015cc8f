/// Conditions and the HTTP API's JWT authorizer: which routes need a token, read from each
/// `AWS::Serverless::HttpApi`'s OpenAPI `DefinitionBody` (`security` per operation, or the document's own),
/// with `Fn::If` resolved against the template's `Conditions` (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`,
/// `Condition`) evaluated on the parameter defaults.
extension TemplateLoader {
    /// OpenAPI operation keys and the route method each stands for.
    static let operationMethods: [String: String] = [
        "get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE", "options": "OPTIONS", "head": "HEAD",
        "patch": "PATCH", "x-amazon-apigateway-any-method": "ANY",
    ]

    /// Every condition's value.
    static func conditions(_ section: TemplateValue?, context: Resolution) throws(LocalRunnerError) -> [String: Bool] {
        guard case .map(let pairs)? = section else { return [:] }
        let definitions = Dictionary(pairs)
        var values: [String: Bool] = [:]
        for (name, _) in pairs {
            values[name] = try condition(name, definitions, context: context, resolving: [])
        }
        return values
    }

    static func condition(
        _ name: String, _ definitions: [String: TemplateValue], context: Resolution, resolving: Set<String>
    ) throws(LocalRunnerError) -> Bool {
        guard let definition = definitions[name] else {
            throw LocalRunnerError(.template, "condition \(name) is not defined")
        }
        guard !resolving.contains(name) else {
            throw LocalRunnerError(.template, "condition \(name) refers to itself")
        }
        return try evaluate(definition, definitions, context: context, resolving: resolving.union([name]), at: name)
    }

    static func evaluate(
        _ value: TemplateValue, _ definitions: [String: TemplateValue], context: Resolution, resolving: Set<String>,
        at name: String
    ) throws(LocalRunnerError) -> Bool {
        if case .map(let pairs) = value, pairs.count == 1, pairs[0].0 == "Condition",
            let other = pairs[0].1.scalarText
        {
            return try condition(other, definitions, context: context, resolving: resolving)
        }
        guard case .intrinsic(let function, let argument) = value else {
            throw LocalRunnerError(.template, "condition \(name): expected a condition function")
        }
        switch function {
        case "Fn::Equals":
            guard case .list(let items) = argument, items.count == 2 else {
                throw LocalRunnerError(.template, "condition \(name): !Equals needs two values")
            }
            let left: String? = try context.resolve(items[0])
            let right: String? = try context.resolve(items[1])
            return left == right
        case "Fn::Not":
            let values = try operands(argument, definitions, context: context, resolving: resolving, at: name)
            guard values.count == 1 else { throw LocalRunnerError(.template, "condition \(name): !Not needs one") }
            return !values[0]
        case "Fn::And":
            return try operands(argument, definitions, context: context, resolving: resolving, at: name).allSatisfy {
                $0
            }
        case "Fn::Or":
            return try operands(argument, definitions, context: context, resolving: resolving, at: name).contains(true)
        case "Fn::Condition":
            guard let other = argument.scalarText else {
                throw LocalRunnerError(.template, "condition \(name): !Condition needs a name")
            }
            return try condition(other, definitions, context: context, resolving: resolving)
        default:
            throw LocalRunnerError(.template, "condition \(name): \(function) is not supported")
        }
    }

    static func operands(
        _ argument: TemplateValue, _ definitions: [String: TemplateValue], context: Resolution, resolving: Set<String>,
        at name: String
    ) throws(LocalRunnerError) -> [Bool] {
        guard case .list(let items) = argument else {
            throw LocalRunnerError(.template, "condition \(name): expected a list")
        }
        var result: [Bool] = []
        for item in items {
            result.append(try evaluate(item, definitions, context: context, resolving: resolving, at: name))
        }
        return result
    }

    /// A value with every `Fn::If` chosen and `AWS::NoValue` removed (nil when the value itself is removed).
    static func choosing(_ value: TemplateValue, conditions: [String: Bool]) throws(LocalRunnerError) -> TemplateValue?
    {
        if case .intrinsic(let function, let argument) = value, function == "Fn::If" {
            guard case .list(let items) = argument, items.count == 3, let name = items[0].scalarText else {
                throw LocalRunnerError(.template, "!If needs [condition, value if true, value if false]")
            }
            guard let chosen = conditions[name] else {
                throw LocalRunnerError(.template, "!If: condition \(name) is not defined")
            }
            return try choosing(chosen ? items[1] : items[2], conditions: conditions)
        }
        if case .intrinsic(let function, let argument) = value, function == "Ref", argument.scalarText == "AWS::NoValue"
        {
            return nil
        }
        switch value {
        case .list(let items):
            var kept: [TemplateValue] = []
            for item in items { if let value = try choosing(item, conditions: conditions) { kept.append(value) } }
            return .list(kept)
        case .map(let pairs):
            var kept: [(String, TemplateValue)] = []
            for (key, item) in pairs {
                if let value = try choosing(item, conditions: conditions) { kept.append((key, value)) }
            }
            return .map(kept)
        default:
            return value
        }
    }

    /// The route keys whose operation (in any HttpApi's `DefinitionBody`) has a non-empty `security`.
    /// A requirement naming a security scheme that is not a JWT authorizer is refused: the runner emulates only that.
    static func protectedRoutes(
        _ resources: [(String, TemplateValue)], conditions: [String: Bool], context: Resolution
    ) throws(LocalRunnerError) -> Set<String> {
        var guarded: Set<String> = []
        for (logicalId, resource) in resources {
            let type: String? = resource["Type"]?.scalarText
            guard type == "AWS::Serverless::HttpApi" else { continue }
            let properties: TemplateValue? = resource["Properties"]
            guard let raw: TemplateValue = properties?["DefinitionBody"],
                let body: TemplateValue = try choosing(raw, conditions: conditions)
            else { continue }
            let components: TemplateValue? = body["components"]
            let schemes: TemplateValue? = components?["securitySchemes"]
            let documentSecurity: TemplateValue? = body["security"]
            guard case .map(let paths)? = body["paths"] else { continue }
            for (path, item) in paths {
                guard case .map(let operations) = item else { continue }
                for (key, operation) in operations {
                    guard let method = operationMethods[key.lowercased()] else { continue }
                    let own: TemplateValue? = operation["security"]
                    let chosen: TemplateValue?
                    if let own { chosen = own } else { chosen = documentSecurity }
                    let names = try requirementNames(chosen)
                    for name in names {
                        let scheme: TemplateValue? = schemes?[name]
                        let extensionValue: TemplateValue? = scheme?["x-amazon-apigateway-authorizer"]
                        let type: String? = extensionValue?["type"]?.scalarText
                        guard type == nil || type?.lowercased() == "jwt" else {
                            throw LocalRunnerError(
                                .template,
                                "resource \(logicalId): \(key.uppercased()) \(path) uses authorizer \(name) of type "
                                    + "\(type ?? "?"); evcsm-local emulates JWT authorizers only")
                        }
                    }
                    if !names.isEmpty { guarded.insert(RouteDefinition(method: method, path: path).routeKey) }
                }
            }
        }
        return guarded
    }

    /// The scheme names of an OpenAPI `security` list (`[{JwtAuthorizer: []}]`); none for an absent or empty one.
    static func requirementNames(_ security: TemplateValue?) throws(LocalRunnerError) -> [String] {
        guard let security else { return [] }
        guard case .list(let requirements) = security else {
            throw LocalRunnerError(.template, "DefinitionBody: security must be a list of requirements")
        }
        var names: [String] = []
        for requirement in requirements {
            guard case .map(let pairs) = requirement else {
                throw LocalRunnerError(.template, "DefinitionBody: a security requirement must be a mapping")
            }
            for (name, _) in pairs { names.append(name) }
        }
        return names
    }
}
