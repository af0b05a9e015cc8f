import ChargingCore
import Foundation
import FunctionRuntime
import Logging
import Testing

@Suite("MqttAuthorizer")
struct MqttAuthorizerTests {
    /// The password whose base64 is in `iot/mqtt-authorizer.json`.
    static let password = "Jb2rXk9Qm4TnW7yZc1VfH8sLd3PgE6aR"
    static let functionARN = "arn:aws:lambda:eu-west-1:123456789012:function:evcsm-MqttAuthorizer-1AB2C3D4E5F6"

    static func registration(
        _ id: String = "cp-7", password: String = password, provisioned: Bool = true
    ) -> ChargerRegistration {
        ChargerRegistration(
            chargePointId: id, ocpp: false, connectors: ChargerRegistrationRequest.defaultConnectors,
            credentials: .make(password: password, iterations: 1_000), registeredAt: Harness.start,
            provisioned: provisioned)
    }

    static func event() throws -> IoTCustomAuthorizerEvent {
        try JSONCoding.decoder.decode(IoTCustomAuthorizerEvent.self, from: Fixture.bytes("iot/mqtt-authorizer.json"))
    }

    static func event(username: String?, password: String?, clientId: String? = nil) throws -> IoTCustomAuthorizerEvent
    {
        var event = try event()
        event.protocolData?.mqtt = .init(
            username: username, password: password.map { Data($0.utf8).base64EncodedString() }, clientId: clientId)
        return event
    }

    let logs = LogLines()

    /// A Lambda context of the function in eu-west-1, account 123456789012.
    static func context(_ logger: Logger) -> FunctionContext {
        FunctionContext(
            requestID: "8a1b2c3d-0000-4000-8000-000000000001", deadlineMilliseconds: Harness.start + 5_000,
            invokedFunctionARN: functionARN, logger: logger)
    }

    func authorize(
        _ event: IoTCustomAuthorizerEvent, _ registrations: [ChargerRegistration] = [registration()]
    ) async throws -> IoTCustomAuthorizerResponse {
        let handler = MqttAuthorizerHandler(registry: InMemoryRegistry(registrations))
        return try await handler.handle(event, context: Self.context(logs.logger))
    }

    @Test("the right password signs in with a policy for exactly its own topics")
    func accepts() async throws {
        let response = try await authorize(Self.event())
        #expect(response.isAuthenticated)
        #expect(response.principalId == "63702d37", "cp-7 has a '-', so its UTF-8 in hex")
        #expect(response.disconnectAfterInSeconds == 86_400 && response.refreshAfterInSeconds == 3_600)
        #expect(response.policyDocuments.count == 1)
        let text = try #require(response.policyDocuments.first)
        let policy = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(policy["Version"] as? String == "2012-10-17")
        let statements = try #require(policy["Statement"] as? [[String: String]])
        let arn = "arn:aws:iot:eu-west-1:123456789012:"
        #expect(
            statements == [
                ["Effect": "Allow", "Action": "iot:Connect", "Resource": arn + "client/cp-7"],
                ["Effect": "Allow", "Action": "iot:Publish", "Resource": arn + "topic/chargers/cp-7/*"],
                ["Effect": "Allow", "Action": "iot:Subscribe", "Resource": arn + "topicfilter/session/updates"],
                ["Effect": "Allow", "Action": "iot:Receive", "Resource": arn + "topic/session/updates"],
            ])
        #expect(!logs.text.contains(Self.password))
    }

    @Test("the answer is the JSON AWS IoT reads, through the runtime's adapter")
    func wireShape() async throws {
        let handler = MqttAuthorizerHandler(registry: InMemoryRegistry([Self.registration()]))
        let output = try await makeInvocationAdapter(for: handler).invoke(
            Array(try Fixture.bytes("iot/mqtt-authorizer.json")), context: Self.context(logs.logger))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.body)) as? [String: Any])
        #expect(
            object.keys.sorted() == [
                "disconnectAfterInSeconds", "isAuthenticated", "policyDocuments", "principalId",
                "refreshAfterInSeconds",
            ])
        #expect(object["isAuthenticated"] as? Bool == true)
        #expect((object["policyDocuments"] as? [Any])?.first is String)
    }

    @Test("the authorizer's name in the username's query string is not part of the id")
    func usernameQuery() async throws {
        let response = try await authorize(
            Self.event(
                username: "cp-7?x-amz-customauthorizer-name=evcsm-ChargerAuthorizer-1X2Y3Z", password: Self.password,
                clientId: "cp-7"))
        #expect(response.isAuthenticated)
        #expect(response.policyDocuments.first?.contains("client/cp-7\"") == true)
    }

    @Test("a principalId of letters and digits only stays the id")
    func principal() async throws {
        let response = try await authorize(
            Self.event(username: "CP42", password: Self.password), [Self.registration("CP42")])
        #expect(response.isAuthenticated && response.principalId == "CP42")
    }

    @Test(
        "wrong, unknown, missing or mismatched credentials are refused with no policy",
        arguments: [
            ("cp-7", "wrong-password", nil),
            ("cp-7", Self.password + "x", nil),
            ("cp-7", "", nil),
            ("cp-8", Self.password, nil),
            ("cp-7", nil, nil),
            (nil, Self.password, nil),
            ("cp-7", Self.password, "cp-8"),
            ("cp/7", Self.password, nil),
            ("", Self.password, nil),
        ] as [(String?, String?, String?)])
    func refuses(username: String?, password: String?, clientId: String?) async throws {
        let response = try await authorize(Self.event(username: username, password: password, clientId: clientId))
        #expect(!response.isAuthenticated)
        #expect(response.policyDocuments.isEmpty)
        #expect(response.principalId.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(!logs.text.contains(Self.password))
    }

    @Test("the policy's partition, region and account are the function's own")
    func scopeFromARN() throws {
        let scope = try #require(
            MqttAuthorizerHandler.PolicyScope(functionARN: "arn:aws-cn:lambda:cn-north-1:210987654321:function:f"))
        #expect(scope == .init(partition: "aws-cn", region: "cn-north-1", account: "210987654321"))
        #expect(MqttAuthorizerHandler.PolicyScope(functionARN: "") == nil)
        #expect(MqttAuthorizerHandler.PolicyScope(functionARN: "arn:aws:lambda:eu-west-1::function:f") == nil)
        let policy = try MqttAuthorizerHandler.policy(for: "cp-7", in: scope)
        #expect(policy.contains(#""Resource":"arn:aws-cn:iot:cn-north-1:210987654321:client/cp-7""#), "\(policy)")
    }

    @Test("a password that is not base64, a missing mqtt block and an unprovisioned point are refused")
    func refusesOddEvents() async throws {
        var event = try Self.event()
        event.protocolData?.mqtt?.password = "***not base64***"
        #expect(try await !authorize(event).isAuthenticated)
        event.protocolData = nil
        #expect(try await !authorize(event).isAuthenticated)
        #expect(try await !authorize(Self.event(), [Self.registration(provisioned: false)]).isAuthenticated)
    }
}

@Suite("PasswordHash")
struct PasswordHashTests {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("PBKDF2-HMAC-SHA256 matches the RFC 7914 §11 vectors and the common c=1/2/4096 ones")
    func vectors() {
        let pbkdf2 = PasswordHash.pbkdf2
        #expect(
            hex(pbkdf2(Array("passwd".utf8), Array("salt".utf8), 1, 64))
                == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
        let password = Array("password".utf8)
        let salt = Array("salt".utf8)
        #expect(
            hex(pbkdf2(password, salt, 1, 32)) == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b")
        #expect(
            hex(pbkdf2(password, salt, 2, 32)) == "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43")
        #expect(
            hex(pbkdf2(password, salt, 4096, 32)) == "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")
    }

    @Test("a hash verifies its password only; stored iteration counts out of range are refused")
    func verifies() {
        var hash = PasswordHash.make(password: "secret", iterations: 100)
        #expect(hash.verifies(Array("secret".utf8)))
        #expect(!hash.verifies(Array("Secret".utf8)))
        #expect(!hash.verifies([]))
        hash.iterations = 0
        #expect(!hash.verifies(Array("secret".utf8)))
        #expect(PasswordHash.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!PasswordHash.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!PasswordHash.constantTimeEqual([1, 2, 3], [1, 2]))
    }

    @Test("generated passwords: 32 base64url characters, 192 random bits, never the same")
    func passwords() {
        let passwords = (0..<200).map { _ in ChargerPassword.generate() }
        #expect(Set(passwords).count == 200)
        for password in passwords {
            #expect(password.count == 32)
            #expect(
                password.utf8.allSatisfy {
                    $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
                })
        }
        #expect(ChargerPassword.base64URL([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(ChargerPassword.base64URL([0x61]) == "YQ")
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x5A) || (self >= 0x61 && self <= 0x7A)
    }
}
