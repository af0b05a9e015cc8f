import Foundation
import FunctionRuntime
import TestSupport
import Testing

@testable import LocalRunner

/// Requests signed by libcurl's `CURLOPT_AWS_SIGV4` through the functions' ``CurlHTTPClient``, captured by a
/// stub server, pass the verifier; changed in any respect, they don't.
@Suite struct SigV4CurlTests {
    static let credentials = WorkerCredentials.generate()

    /// Sends `request` signed for `iotdata` in us-east-1 and returns what the server received, with the host.
    func captured(_ method: String, _ path: String, body: String) async throws -> (RecordedRequest, String) {
        try await StubHTTPServer.withServer({ _ in .json("{}") }) { server in
            let request = HTTPClientRequest(
                method: method, url: server.baseURL + path, headers: [("Content-Type", "application/json")],
                body: Array(body.utf8), awsSigV4: "aws:amz:us-east-1:iotdata",
                awsCredentials: (Self.credentials.accessKeyId, Self.credentials.secretAccessKey, nil))
            let response = try CurlHTTPClient().send(request)
            #expect(response.status == 200)
            return (try #require(server.requests.first), server.hostAndPort)
        }
    }

    func verify(_ request: RecordedRequest, host: String, body: String? = nil, now: Date = Date()) throws -> String {
        try Self.credentials.iotDataVerifier(region: "us-east-1").verify(
            method: request.method, path: request.path, query: request.query,
            headers: request.headers.map { ($0.name, $0.value) } + [("Host", host)],
            body: body.map { Array($0.utf8) } ?? request.body, now: now)
    }

    @Test func acceptsALibcurlSignedPublish() async throws {
        let (request, host) = try await captured("POST", "/topics/session/updates?qos=1", body: #"{"a":1}"#)
        #expect(request.header("authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIA") == true)
        // libcurl < 8.3 would sign an `Expect:` removal it never sends (curl issue 11664): the client sets none.
        #expect(request.header("expect") == nil)
        #expect(request.header("authorization")?.contains("expect") == false)
        #expect(try verify(request, host: host) == Self.credentials.accessKeyId)
    }

    @Test func acceptsALibcurlSignedPut() async throws {
        let (request, host) = try await captured(
            "PUT", "/_iot/mqtt-clients/cp-1", body: #"{"password":"p","role":"charger"}"#)
        #expect(try verify(request, host: host) == Self.credentials.accessKeyId)
    }

    @Test func refusesALibcurlSignedRequestOnceChanged() async throws {
        let (request, host) = try await captured("POST", "/topics/session/updates?qos=1", body: #"{"a":1}"#)
        #expect(throws: SigV4Error.self) { try verify(request, host: host, body: #"{"a":2}"#) }
        #expect(throws: SigV4Error.self) { try verify(request, host: "127.0.0.1:1") }
        #expect(throws: SigV4Error.self) { try verify(request, host: host, now: Date().addingTimeInterval(16 * 60)) }
        let other = WorkerCredentials.generate().iotDataVerifier(region: "us-east-1")
        #expect(throws: SigV4Error(.unrecognizedClient, "The security token included in the request is invalid.")) {
            try other.verify(
                method: request.method, path: request.path, query: request.query,
                headers: request.headers.map { ($0.name, $0.value) } + [("Host", host)], body: request.body,
                now: Date())
        }
    }

    @Test func generatedCredentialsHaveAWSsShape() {
        let pair = WorkerCredentials.generate()
        #expect(pair.accessKeyId.count == 20 && pair.accessKeyId.hasPrefix("AKIA"))
        #expect(pair.secretAccessKey.count == 40)
        #expect(pair != WorkerCredentials.generate())
    }
}
