import Foundation
import Yams

/// Reads a SAM template into a ``TemplateModel``.
///
/// Honours `Parameters` defaults, `Globals.Function`, `AWS::Serverless::Function` resources with
/// `HttpApi`, `IoTRule`, `SQS` and `Schedule` events, `Environment.Variables`, `Timeout` and `MemorySize`, `AWS::SQS::Queue`
/// resources, `AWS::IoT::TopicRule` resources with `Lambda` and `Sqs` actions, the `AWS::ApiGatewayV2::*` resources
/// of a WebSocket API (``webSocketAPIs(_:functions:context:)``), and resolves
/// `!Ref`/`Ref`, `!Sub`/`Fn::Sub` and `!Join` against parameters and pseudo parameters. Anything else that
/// would change behaviour is a ``LocalRunnerError`` naming the resource, never silently skipped.
public struct TemplateLoader: Sendable {
    /// Environment variables the runner sets itself; their template values may use intrinsics it can't resolve.
    public static let runnerProvidedVariables: Set<String> = [
        "DATA_API_URL", "DATA_API_KEY", "IOT_DATA_ENDPOINT", "AWS_LAMBDA_RUNTIME_API", "OCPP_CONNECTIONS_ENDPOINT",
    ]
    /// What `--dump-template` shows for a runner-provided variable whose template value is not a literal.
    public static let runnerProvidedPlaceholder = "(set by evcsm-local)"

    /// Resource types that have no local behaviour to emulate (IAM, logs, the HTTP API itself).
    static let passiveResourceTypes: Set<String> = [
        "AWS::Serverless::HttpApi", "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Logs::LogGroup",
        "AWS::Lambda::Permission", "AWS::Serverless::Application", "AWS::CloudWatch::Alarm", "AWS::SNS::Topic",
        "AWS::SecretsManager::Secret", "AWS::SSM::Parameter", "AWS::IoT::Authorizer",
    ]
    /// Function properties with no effect on local behaviour.
    static let passiveFunctionProperties: Set<String> = [
        "CodeUri", "Handler", "Runtime", "Architectures", "Description", "FunctionName", "Policies", "Role",
        "Tags", "Tracing", "LoggingConfig", "DeadLetterQueue", "EventInvokeConfig", "AutoPublishAlias",
        "PackageType", "ReservedConcurrentExecutions", "Timeout", "MemorySize", "Environment", "Events",
        "EphemeralStorage", "RuntimeManagementConfig", "PropagateTags", "KmsKeyArn",
    ]
    static let supportedRuntimes: Set<String> = ["provided.al2023", "provided.al2", "provided"]

    /// Pseudo parameters as the runner answers them.
    public static let pseudoParameters: [String: String] = [
        "AWS::Region": "us-east-1", "AWS::AccountId": "000000000000", "AWS::StackName": "evcsm-local",
        "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::StackId": "evcsm-local",
    ]

    public init() {}

    /// Loads and interprets the template file at `path`.
    public func load(path: String) throws(LocalRunnerError) -> TemplateModel {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LocalRunnerError(.template, "cannot read template \(path): \(error.localizedDescription)")
        }
        return try parse(yaml: text)
    }

    /// Interprets template text.
    public func parse(yaml text: String) throws(LocalRunnerError) -> TemplateModel {
        let root: TemplateValue
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw LocalRunnerError(.template, "template is empty")
            }
            root = TemplateValue(node)
        } catch let error as LocalRunnerError {
            throw error
        } catch {
            throw LocalRunnerError(.template, "template is not valid YAML: \(error)")
        }
        guard case .map(let top) = root else { throw LocalRunnerError(.template, "template is not a mapping") }

        var context = Resolution(parameters: Self.pseudoParameters, resources: [])
        if case .map(let parameters)? = top["Parameters"] {
            for (name, spec) in parameters {
                if case .map(let fields) = spec, let value = fields["Default"]?.scalarText {
                    context.parameters[name] = value
                } else {
                    context.parametersWithoutDefault.insert(name)
                }
            }
        }
        guard case .map(let resources)? = top["Resources"] else {
            throw LocalRunnerError(.template, "template has no Resources")
        }
        context.resources = Set(resources.map(\.0))

        var globals: [String: TemplateValue] = [:]
        if case .map(let g)? = top["Globals"], case .map(let f)? = g["Function"] { globals = Dictionary(f) }

        var functions: [FunctionDefinition] = []
        var queues: [QueueDefinition] = []
        var rules: [TopicRuleResource] = []
        var webSocket: [WebSocketResource] = []
        for (logicalId, resource) in resources {
            guard case .map(let fields) = resource, let type = fields["Type"]?.scalarText else {
                throw LocalRunnerError(.template, "resource \(logicalId) has no Type")
            }
            switch type {
            case "AWS::Serverless::Function":
                functions.append(try function(logicalId, fields["Properties"], globals: globals, context: context))
            case "AWS::SQS::Queue":
                queues.append(try Self.queue(logicalId, fields["Properties"], context: context))
            case "AWS::IoT::TopicRule":
                if let rule = try Self.topicRule(logicalId, fields["Properties"], context: context) {
                    rules.append(rule)
                }
            case _ where Self.webSocketResourceTypes.contains(type):
                webSocket.append(try Self.webSocketResource(logicalId, type: type, fields["Properties"]))
            default:
                guard Self.passiveResourceTypes.contains(type) else {
                    throw LocalRunnerError(
                        .template, "resource \(logicalId): type \(type) is not supported by evcsm-local")
                }
            }
        }
        var model = try Self.link(functions: functions, queues: queues, rules: rules)
        let conditions = try Self.conditions(top["Conditions"], context: context)
        model.protectedRoutes = try Self.protectedRoutes(resources, conditions: conditions, context: context)
        model.webSocketAPIs = try Self.webSocketAPIs(
            webSocket, functions: Set(functions.map(\.logicalId)), context: context)
        return model
    }

    func function(
        _ id: String, _ properties: TemplateValue?, globals: [String: TemplateValue], context: Resolution
    ) throws(LocalRunnerError) -> FunctionDefinition {
        var props = globals
        if case .map(let own)? = properties {
            for (k, v) in own {
                if k == "Environment", case .map(let g)? = props[k], case .map(let o) = v,
                    case .map(let gv)? = g["Variables"], case .map(let ov)? = o["Variables"]
                {
                    props[k] = .map([("Variables", .map(merge(gv, ov)))])
                } else {
                    props[k] = v
                }
            }
        }
        for key in props.keys where !Self.passiveFunctionProperties.contains(key) {
            throw LocalRunnerError(.template, "function \(id): property \(key) is not supported by evcsm-local")
        }
        if let runtime = props["Runtime"]?.scalarText, !Self.supportedRuntimes.contains(runtime) {
            throw LocalRunnerError(
                .template, "function \(id): Runtime \(runtime) is not supported (use provided.al2023)")
        }
        if props["PackageType"]?.scalarText == "Image" {
            throw LocalRunnerError(.template, "function \(id): PackageType Image is not supported")
        }
        let timeout = try integer(props["Timeout"], name: "Timeout", function: id, context: context) ?? 3
        let memory = try integer(props["MemorySize"], name: "MemorySize", function: id, context: context) ?? 128
        guard timeout > 0 else { throw LocalRunnerError(.template, "function \(id): Timeout must be positive") }

        var environment: [String: String] = [:]
        if case .map(let env)? = props["Environment"], case .map(let vars)? = env["Variables"] {
            for (name, value) in vars {
                do throws(LocalRunnerError) {
                    if let resolved = try context.resolve(value) { environment[name] = resolved }
                } catch {
                    guard Self.runnerProvidedVariables.contains(name) else {
                        throw LocalRunnerError(
                            .template, "function \(id): environment variable \(name): \(error.message)")
                    }
                    environment[name] = Self.runnerProvidedPlaceholder
                }
            }
        }

        var routes: [RouteDefinition] = []
        var rules: [TopicRule] = []
        var queueSources: [QueueEventSource] = []
        var schedules: [ScheduleDefinition] = []
        if case .map(let events)? = props["Events"] {
            for (eventName, event) in events {
                guard case .map(let e) = event, let type = e["Type"]?.scalarText else {
                    throw LocalRunnerError(.template, "function \(id): event \(eventName) has no Type")
                }
                let eventProps: [String: TemplateValue]
                if case .map(let p)? = e["Properties"] { eventProps = Dictionary(p) } else { eventProps = [:] }
                let at = "function \(id): event \(eventName)"
                switch type {
                case "HttpApi":
                    guard
                        let path = try context.resolve(eventProps["Path"]),
                        let method = try context.resolve(eventProps["Method"])
                    else {
                        throw LocalRunnerError(
                            .template, "\(at): HttpApi without Path and Method (catch-all) is not supported")
                    }
                    for key in eventProps.keys
                    where !["Path", "Method", "ApiId", "PayloadFormatVersion", "TimeoutInMillis"].contains(key) {
                        throw LocalRunnerError(.template, "\(at): HttpApi property \(key) is not supported")
                    }
                    if let version = eventProps["PayloadFormatVersion"]?.scalarText, version != "2.0" {
                        throw LocalRunnerError(
                            .template, "\(at): PayloadFormatVersion \(version) is not supported (2.0 only)")
                    }
                    guard path.hasPrefix("/") else {
                        throw LocalRunnerError(.template, "\(at): Path must start with /")
                    }
                    routes.append(RouteDefinition(method: method, path: path))
                case "IoTRule":
                    guard let sql = try context.resolve(eventProps["Sql"]) else {
                        throw LocalRunnerError(.template, "\(at): IoTRule without Sql")
                    }
                    do throws(LocalRunnerError) {
                        rules.append(try Self.parseRuleSQL(sql))
                    } catch {
                        throw LocalRunnerError(.template, "\(at): \(error.message)")
                    }
                case "SQS":
                    queueSources.append(try Self.queueEvent(eventProps, at: at, context: context))
                case "Schedule":
                    schedules.append(try Self.scheduleEvent(id + eventName, eventProps, at: at, context: context))
                default:
                    throw LocalRunnerError(
                        .template,
                        "\(at): event type \(type) is not supported (HttpApi, IoTRule, SQS and Schedule are)")
                }
            }
        }
        return FunctionDefinition(
            logicalId: id, routes: routes, topicRules: rules, queueSources: queueSources, schedules: schedules,
            environment: environment, timeout: timeout, memorySize: memory)
    }

    func integer(
        _ value: TemplateValue?, name: String, function: String, context: Resolution
    )
        throws(LocalRunnerError) -> Int?
    {
        guard let value else { return nil }
        guard let text = try context.resolve(value), let number = Int(text) else {
            throw LocalRunnerError(.template, "function \(function): \(name) is not an integer")
        }
        return number
    }

    func merge(_ a: [(String, TemplateValue)], _ b: [(String, TemplateValue)]) -> [(String, TemplateValue)] {
        var result = a.filter { pair in !b.contains { $0.0 == pair.0 } }
        result.append(contentsOf: b)
        return result
    }
}
