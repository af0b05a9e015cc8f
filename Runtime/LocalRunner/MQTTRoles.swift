import Foundation
import Yams

/// The broker roles of a template. Declared ones come from the top-level metadata
///
/// ```yaml
/// Metadata:
///   EvcsmLocal:
///     MqttRoles:
///       screen: {DevelopmentUser: true, Publish: [charging/updates], Subscribe: [session/updates]}
///       charger: {Grantable: true, Publish: ["chargers/{username}/#"], Subscribe: [session/updates]}
/// ```
///
/// and the bridge's role (``bridgeRoleName``) is derived: it subscribes to what the runner's own connection
/// subscribes to (the IoT rule filters and the SSE topics) and publishes to the topics of the functions'
/// `iot:Publish` policy statements (`arn:…:topic/<topic>`), as the IoT Data Plane route publishes for them.
public struct MQTTRoles: Sendable, Equatable {
    /// The user and role of the runner's own connection.
    public static let bridgeRoleName = "evcsm-bridge"

    /// The declared roles, in template order.
    public var declared: [MQTTRole]
    /// Topics the functions may publish to (`iot:Publish` resources), in template order.
    public var functionPublishTopics: [String]

    public init(declared: [MQTTRole], functionPublishTopics: [String]) {
        self.declared = declared
        self.functionPublishTopics = functionPublishTopics
    }

    /// The declared role named `name`.
    public func role(named name: String) -> MQTTRole? { declared.first { $0.name == name } }

    /// The roles that get a development user.
    public var developmentUsers: [MQTTRole] { declared.filter(\.developmentUser) }

    /// The bridge's role for the topic filters its connection subscribes to.
    public func bridgeRole(subscribing filters: [String]) -> MQTTRole {
        func unique(_ topics: [String]) -> [String] {
            var seen: [String] = []
            for topic in topics where !seen.contains(topic) { seen.append(topic) }
            return seen
        }
        return MQTTRole(name: Self.bridgeRoleName, publish: unique(functionPublishTopics), subscribe: unique(filters))
    }

    /// Reads the roles of the template at `path`.
    public static func load(templatePath path: String) throws(LocalRunnerError) -> MQTTRoles {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LocalRunnerError(.template, "cannot read the MQTT roles of template \(path)")
        }
        return try parse(yaml: String(decoding: data, as: UTF8.self))
    }

    /// Reads the roles of template text.
    public static func parse(yaml text: String) throws(LocalRunnerError) -> MQTTRoles {
        let root: TemplateValue
        do {
            guard let node = try Yams.compose(yaml: text) else {
                return MQTTRoles(declared: [], functionPublishTopics: [])
            }
            root = TemplateValue(node)
        } catch {
            throw LocalRunnerError(.template, "template is not valid YAML: \(error)")
        }
        var declared: [MQTTRole] = []
        if case .map(let roles)? = root["Metadata"]?["EvcsmLocal"]?["MqttRoles"] {
            for (name, spec) in roles { declared.append(try role(name, spec)) }
        }
        var topics: [String] = []
        if case .map(let resources)? = root["Resources"] {
            for (_, resource) in resources { topics += publishTopics(resource["Properties"]?["Policies"]) }
        }
        return MQTTRoles(declared: declared, functionPublishTopics: topics)
    }

    static func role(_ name: String, _ spec: TemplateValue) throws(LocalRunnerError) -> MQTTRole {
        let at = "Metadata.EvcsmLocal.MqttRoles.\(name)"
        guard MQTTCredentials.isValidUsername(name), name != bridgeRoleName, case .map(let fields) = spec else {
            throw LocalRunnerError(
                .template, "\(at): a role is a mapping under a plain name other than \(bridgeRoleName)")
        }
        for key in fields.keys where !["Publish", "Subscribe", "Grantable", "DevelopmentUser"].contains(key) {
            throw LocalRunnerError(
                .template, "\(at): unknown key \(key) (Publish, Subscribe, Grantable, DevelopmentUser)")
        }
        func topics(_ key: String) throws(LocalRunnerError) -> [String] {
            guard let value = fields[key] else { return [] }
            guard case .list(let items) = value else { throw LocalRunnerError(.template, "\(at).\(key): not a list") }
            var result: [String] = []
            for item in items {
                guard let topic = item.scalarText, !topic.isEmpty else {
                    throw LocalRunnerError(.template, "\(at).\(key): every item is a topic filter")
                }
                result.append(topic)
            }
            return result
        }
        func flag(_ key: String) throws(LocalRunnerError) -> Bool {
            guard let value = fields[key] else { return false }
            guard let text = value.scalarText, ["true", "false"].contains(text) else {
                throw LocalRunnerError(.template, "\(at).\(key): true or false")
            }
            return text == "true"
        }
        let role = MQTTRole(
            name: name, publish: try topics("Publish"), subscribe: try topics("Subscribe"),
            grantable: try flag("Grantable"), developmentUser: try flag("DevelopmentUser"))
        if role.developmentUser && role.isPerClient {
            throw LocalRunnerError(.template, "\(at): a development user's role cannot name {username}")
        }
        return role
    }

    /// The topics of `iot:Publish` statements in a function's `Policies` (`…:topic/<topic>` resources).
    static func publishTopics(_ policies: TemplateValue?) -> [String] {
        guard case .list(let policies)? = policies else { return [] }
        var topics: [String] = []
        for policy in policies {
            guard case .list(let statements)? = policy["Statement"] else { continue }
            for statement in statements where actions(statement["Action"]).contains("iot:Publish") {
                for resource in resources(statement["Resource"]) {
                    guard let range = resource.range(of: ":topic/") else { continue }
                    topics.append(String(resource[range.upperBound...]))
                }
            }
        }
        return topics
    }

    static func actions(_ value: TemplateValue?) -> [String] {
        guard let value else { return [] }
        switch value {
        case .scalar(let text): return [text]
        case .list(let items): return items.compactMap(\.scalarText)
        default: return []
        }
    }

    /// Resource ARNs as written (`!Sub` text included: the topic part has no substitutions).
    static func resources(_ value: TemplateValue?) -> [String] {
        guard let value else { return [] }
        switch value {
        case .scalar(let text): return [text]
        case .intrinsic(let name, let argument) where name == "Fn::Sub": return argument.scalarText.map { [$0] } ?? []
        case .list(let items): return items.flatMap { resources($0) }
        default: return []
        }
    }
}
