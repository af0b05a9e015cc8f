import Foundation
import SigV4
import Testing

@testable import LocalRunner

/// The functions' SigV4 signer against AWS's published test suite and against evcsm-local's verifier.
@Suite struct SigV4SignerTests {
    static let signer = SigV4Signer(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: SigV4VectorTests.secret, sessionToken: nil,
        region: "us-east-1", service: "service")

    /// AWS's vectors that sign only `host` and `x-amz-date` (the signer adds no other header).
    static let plainVectors = SigV4VectorTests.vectors.filter {
        $0.headers.isEmpty && $0.signedHeaders == "host;x-amz-date" && $0.body.isEmpty
    }

    @Test(arguments: plainVectors)
    func signsPublishedVector(_ vector: SigV4VectorTests.Vector) throws {
        let url = "https://example.amazonaws.com\(vector.path)" + (vector.query.isEmpty ? "" : "?\(vector.query)")
        let headers = try #require(
            Self.signer.headers(method: vector.method, url: url, body: [], now: SigV4VectorTests.signedAt))
        #expect(headers.first { $0.0 == "x-amz-date" }?.1 == "20150830T123600Z")
        let authorization = try #require(headers.first { $0.0 == "Authorization" }?.1)
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=\(vector.signature)")
    }

    @Test func theRunnersVerifierAcceptsAnIoTPublishItSigned() throws {
        let signer = SigV4Signer(
            accessKeyID: "AKLOCAL", secretAccessKey: "local-secret", sessionToken: nil, region: "eu-west-1",
            service: "iotdata")
        let verifier = SigV4Verifier(credentials: ["AKLOCAL": "local-secret"], region: "eu-west-1", service: "iotdata")
        let body = Array(#"{"status":"Charging"}"#.utf8)
        let now = Date(timeIntervalSince1970: 1_764_590_400)
        let url = "http://127.0.0.1:5274/topics/session%2Fupdates?qos=1"
        let signed = try #require(signer.headers(method: "POST", url: url, body: body, now: now))
        // What the runtime's HTTP client sends: Host from the URL, the request's own headers, the signed ones.
        let sent = [("Host", "127.0.0.1:5274"), ("Content-Type", "application/json")] + signed
        let key = try verifier.verify(
            method: "POST", path: "/topics/session%2Fupdates", query: "qos=1", headers: sent, body: body, now: now)
        #expect(key == "AKLOCAL")
        // A changed body, or a path spelled another way, is refused.
        #expect(throws: SigV4Error.self) {
            try verifier.verify(
                method: "POST", path: "/topics/session%2Fupdates", query: "qos=1", headers: sent,
                body: Array("{}".utf8), now: now)
        }
        #expect(throws: SigV4Error.self) {
            try verifier.verify(
                method: "POST", path: "/topics/session/updates", query: "qos=1", headers: sent, body: body, now: now)
        }
    }

    @Test func temporaryCredentialsSignTheSessionTokenAndDefaultPortsLeaveTheHost() throws {
        let signer = SigV4Signer(
            accessKeyID: "ASIA", secretAccessKey: "s", sessionToken: "token-1", region: "eu-west-1",
            service: "execute-api")
        let headers = try #require(
            signer.headers(
                method: "POST", url: "https://abc.execute-api.eu-west-1.amazonaws.com:443/ocpp/@connections/x%3D",
                body: [], now: Date(timeIntervalSince1970: 0)))
        #expect(headers.first { $0.0 == "x-amz-security-token" }?.1 == "token-1")
        let authorization = try #require(headers.first { $0.0 == "Authorization" }?.1)
        #expect(authorization.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"))
        #expect(authorization.contains("Credential=ASIA/19700101/eu-west-1/execute-api/aws4_request"))
        #expect(signer.headers(method: "GET", url: "ftp://example.com/", body: [], now: Date()) == nil)
        #expect(signer.headers(method: "GET", url: "https://user@example.com/", body: [], now: Date()) == nil)
    }

    /// AWS's documented signing-key example, derived again after another scope's key: the kept last key is
    /// used only for the same secret, date, region and service.
    @Test func theSigningKeyIsAWSsExampleAndKeptOnlyForItsOwnScope() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        func hex(_ date: String, _ service: String = "iam") -> String {
            let key = SigV4Canonical.signingKey(secret: secret, date: date, region: "us-east-1", service: service)
            return key.withUnsafeBytes { SigV4Canonical.hex($0) }
        }
        let example = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        #expect(hex("20120215") == example)
        #expect(hex("20120215") == example)
        #expect(hex("20120216") != example)
        #expect(hex("20120215", "iot") != example)
        #expect(hex("20120215") == example)
    }
}
