import BSON
import ChargingCore
import DataAPI
import Foundation
import FunctionRuntime
import Logging
import Synchronization
import TestSupport
import Testing

@Suite("IoTDataPublisher")
struct IoTDataPublisherTests {
    @Test("posts to /topics/{percent-encoded topic}?qos=1, unsigned without credentials")
    func plain() async throws {
        let requests = try await StubHTTPServer.withServer({ _ in .json(#"{"message":"OK"}"#) }) { server in
            let publisher = IoTDataPublisher(
                configuration: try .fromEnvironment(FunctionEnvironment(["IOT_DATA_ENDPOINT": server.baseURL + "/"])),
                transport: CurlHTTPClient())
            try await publisher.publish(topic: "session/updates", payload: Array(#"{"a":1}"#.utf8))
            return server.requests
        }
        let request = try #require(requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/topics/session/updates")
        #expect(request.query == "qos=1")
        #expect(request.bodyText == #"{"a":1}"#)
        #expect(request.header("authorization") == nil)
    }

    @Test("signs with SigV4 for iotdata when AWS credentials are configured")
    func signed() async throws {
        let requests = try await StubHTTPServer.withServer({ _ in .json(#"{"message":"OK"}"#) }) { server in
            let environment = FunctionEnvironment([
                "IOT_DATA_ENDPOINT": server.baseURL, "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token-1",
            ])
            let publisher = IoTDataPublisher(
                configuration: try .fromEnvironment(environment), transport: CurlHTTPClient())
            try await publisher.publish(topic: "session/updates", payload: Array("{}".utf8))
            return server.requests
        }
        let request = try #require(requests.first)
        let authorization = try #require(request.header("authorization"))
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
        #expect(authorization.contains("/eu-west-1/iotdata/aws4_request"))
        #expect(request.header("x-amz-security-token") == "token-1")
        #expect(request.header("x-amz-date") != nil)
    }

    @Test("a non-2xx answer is an error")
    func rejected() async throws {
        try await StubHTTPServer.withServer({ _ in .json(#"{"message":"Forbidden"}"#, status: 403) }) { server in
            let publisher = IoTDataPublisher(
                configuration: .init(endpoint: server.baseURL), transport: CurlHTTPClient())
            await #expect(throws: FunctionRuntimeError.self) {
                try await publisher.publish(topic: "session/updates", payload: [])
            }
        }
    }

    @Test func percentEncoding() {
        #expect(IoTDataPublisher.percentEncode("chargers/cp-1/meter") == "chargers%2Fcp-1%2Fmeter")
        #expect(IoTDataPublisher.percentEncode("a b+c~d") == "a%20b%2Bc~d")
    }
}
