import Foundation
import Testing

@testable import LocalRunner

/// The pieces of broker security that need no broker: roles from the template, the plugin's password hash and
/// state file, credentials files.
@Suite("MQTT security: roles, state file, credentials")
struct MQTTSecurityTests {
    @Test("the password hash is the plugin's PBKDF2-HMAC-SHA512 (vector from `mosquitto_ctrl dynsec init`)")
    func pbkdf2() throws {
        let salt = try #require(Data(base64Encoded: "Exl6QPFwHPiGz+lY"))
        let hash = DynamicSecurity.pbkdf2SHA512(password: Array("pw1".utf8), salt: Array(salt), iterations: 101)
        #expect(
            Data(hash).base64EncodedString()
                == "tcQl+ufyYm6HTg/zqLTv2GXhiarNe3dbLrte4iRnmYpF2gvWkOfo9utz04FOsEwIUQwkfLNkw22xwwiMXkmYqw==")
    }

    @Test("template.yaml declares screen, simulator and the grantable per-client charger; the bridge is derived")
    func templateRoles() throws {
        let roles = try MQTTRoles.load(templatePath: "\(TestEnvironment.root)/template.yaml")
        #expect(roles.developmentUsers.map(\.name) == ["screen", "simulator"])
        let screen = try #require(roles.role(named: "screen"))
        #expect(screen.publish == ["charging/updates"] && screen.subscribe == ["session/updates"])
        let charger = try #require(roles.role(named: "charger"))
        #expect(charger.grantable && charger.isPerClient && !screen.grantable)
        #expect(charger.brokerRoleName(for: "cp-7") == "charger:cp-7")
        #expect(
            charger.acls(for: "cp-7") == [
                .init(acltype: "publishClientSend", topic: "chargers/cp-7/#", allow: true),
                .init(acltype: "subscribePattern", topic: "session/updates", allow: true),
            ])
        let bridge = roles.bridgeRole(subscribing: ["charging/updates", "chargers/+/meter", "charging/updates"])
        #expect(bridge.publish == ["session/updates", "chargepoint/status"])
        #expect(bridge.subscribe == ["charging/updates", "chargers/+/meter"])
    }

    @Test("a bad role declaration is a template error naming it")
    func badRoles() {
        for yaml in [
            "Metadata: {EvcsmLocal: {MqttRoles: {x: {Publish: a}}}}",
            "Metadata: {EvcsmLocal: {MqttRoles: {x: {Pub: [a]}}}}",
            "Metadata: {EvcsmLocal: {MqttRoles: {evcsm-bridge: {Publish: [a]}}}}",
            "Metadata: {EvcsmLocal: {MqttRoles: {x: {DevelopmentUser: true, Publish: ['a/{username}']}}}}",
            "Metadata: {EvcsmLocal: {MqttRoles: {x: {Grantable: yes}}}}",
        ] {
            #expect(throws: LocalRunnerError.self, "\(yaml)") { try MQTTRoles.parse(yaml: yaml) }
        }
    }

    @Test("the state file keeps what the plugin wrote and gets exactly one admin; files are 0600")
    func stateFile() throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/dynamic-security.json"
        let other = #"{"clients":[{"username":"cp-7","roles":[]},{"username":"evcsm-admin"}],"roles":[],"x":1}"#
        try other.write(toFile: path, atomically: true, encoding: .utf8)
        try DynamicSecurity.prepareState(at: path, admin: MQTTCredentials(username: "evcsm-admin", password: "pw"))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(#""username":"cp-7""#) && text.contains(#""x":1"#))
        #expect(text.components(separatedBy: #""username":"evcsm-admin""#).count == 2, "\(text)")
        #expect(text.contains(#""rolename":"evcsm-admin""#) && text.contains(#""iterations":101"#))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let file = "\(directory)/mqtt-screen.json"
        let first = try MQTTCredentials.loadOrCreate(username: "screen", path: file)
        #expect(first.password.count == 32)
        #expect(try MQTTCredentials.loadOrCreate(username: "screen", path: file) == first)
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
    }

    @Test("user names: letters, digits and . _ - : @ only (a per-client ACL puts them into a topic)")
    func usernames() {
        for good in ["cp-7", "CP_1.a:b@c", String(repeating: "a", count: 128)] {
            #expect(MQTTCredentials.isValidUsername(good), "\(good)")
        }
        for bad in ["", "a/b", "a+b", "a#", "a b", "é", String(repeating: "a", count: 129)] {
            #expect(!MQTTCredentials.isValidUsername(bad), "\(bad)")
        }
    }

    @Test("the generated config refuses anonymous clients and loads the plugin for both listeners")
    func config() {
        let security = BrokerProcess.Security(
            plugin: "/p.so", statePath: "/d/mosquitto/dynamic-security.json",
            admin: MQTTCredentials(username: "evcsm-admin", password: "x"))
        let text = BrokerProcess.config(
            host: "127.0.0.1", mqttPort: 1, websocketsPort: 2, security: security, stayRoot: false)
        #expect(
            text.contains(
                "allow_anonymous false\nplugin /p.so\nplugin_opt_config_file /d/mosquitto/dynamic-security.json\n"))
        #expect(!text.contains("\"x\"") && !text.contains("allow_anonymous true"))
    }
}
