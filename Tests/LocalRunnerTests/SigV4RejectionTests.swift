import Foundation
import Testing

@testable import LocalRunner

/// What the verifier refuses, each with AWS's error name: the get-vanilla / post-x-www-form-urlencoded
/// vectors of ``SigV4VectorTests`` changed in one respect.
@Suite struct SigV4RejectionTests {
    typealias V = SigV4VectorTests
    static let form = V.vectors.first { $0.name == "post-x-www-form-urlencoded" }!
    static let vanilla = V.vectors.first { $0.name == "get-vanilla" }!

    func verify(
        _ vector: V.Vector, verifier: SigV4Verifier = V.verifier, path: String? = nil, query: String? = nil,
        headers: [(String, String)]? = nil, body: String? = nil, now: Date = V.signedAt
    ) -> SigV4ErrorCode? {
        do {
            _ = try verifier.verify(
                method: vector.method, path: path ?? vector.path, query: query ?? vector.query,
                headers: headers ?? vector.requestHeaders, body: Array((body ?? vector.body).utf8), now: now)
            return nil
        } catch {
            return error.code
        }
    }

    func replacing(_ name: String, with value: String, in vector: V.Vector) -> [(String, String)] {
        vector.requestHeaders.map { $0.0.lowercased() == name ? ($0.0, value) : $0 }
    }

    @Test func refusesAChangedRequest() {
        #expect(verify(Self.form, body: "Param1=value2") == .signatureDoesNotMatch)
        #expect(verify(Self.form, path: "/other") == .signatureDoesNotMatch)
        #expect(verify(Self.form, query: "Param1=value1") == .signatureDoesNotMatch)
        #expect(
            verify(Self.form, headers: replacing("content-type", with: "text/plain", in: Self.form))
                == .signatureDoesNotMatch)
        #expect(
            verify(Self.form, headers: replacing("host", with: "evil.example.com", in: Self.form))
                == .signatureDoesNotMatch)
        var wrongMethod = Self.form
        wrongMethod.method = "PUT"
        #expect(verify(wrongMethod) == .signatureDoesNotMatch)
    }

    @Test func refusesAWrongSignatureOrSecret() {
        var other = Self.vanilla
        other.signature = String(repeating: "0", count: 64)
        #expect(verify(other) == .signatureDoesNotMatch)
        other.signature = "not-hex"
        #expect(verify(other) == .signatureDoesNotMatch)
        let wrongSecret = SigV4Verifier(credentials: ["AKIDEXAMPLE": "other"], region: "us-east-1", service: "service")
        #expect(verify(Self.vanilla, verifier: wrongSecret) == .signatureDoesNotMatch)
    }

    @Test func refusesMissingOrUnknownCredentials() {
        let unsigned = Self.vanilla.requestHeaders.filter { $0.0 != "Authorization" }
        #expect(verify(Self.vanilla, headers: unsigned) == .missingAuthenticationToken)
        let unknown = SigV4Verifier(credentials: ["AKIAOTHER": V.secret], region: "us-east-1", service: "service")
        #expect(verify(Self.vanilla, verifier: unknown) == .unrecognizedClient)
        #expect(
            verify(Self.vanilla, headers: Self.vanilla.requestHeaders + [("X-Amz-Security-Token", "t")])
                == .unrecognizedClient)
        #expect(
            verify(Self.vanilla, headers: replacing("authorization", with: "Bearer abc", in: Self.vanilla))
                == .incompleteSignature)
        let noSignature = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
        #expect(
            verify(Self.vanilla, headers: replacing("authorization", with: noSignature, in: Self.vanilla))
                == .incompleteSignature)
    }

    @Test func refusesPresignedRequests() {
        let presigned = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=\(Self.vanilla.signature)"
        let unsigned = Self.vanilla.requestHeaders.filter { $0.0 != "Authorization" }
        #expect(verify(Self.vanilla, query: presigned, headers: unsigned) == .incompleteSignature)
        #expect(verify(Self.vanilla, query: presigned) == .incompleteSignature)
    }

    @Test func refusesAnotherScope() {
        let eu = SigV4Verifier(credentials: ["AKIDEXAMPLE": V.secret], region: "eu-west-1", service: "service")
        #expect(verify(Self.vanilla, verifier: eu) == .invalidSignature)
        let iot = SigV4Verifier(credentials: ["AKIDEXAMPLE": V.secret], region: "us-east-1", service: "iotdata")
        #expect(verify(Self.vanilla, verifier: iot) == .invalidSignature)
        #expect(
            verify(Self.vanilla, headers: replacing("x-amz-date", with: "20150831T123600Z", in: Self.vanilla))
                == .invalidSignature)
        #expect(
            verify(Self.vanilla, headers: replacing("x-amz-date", with: "2015-08-30T12:36Z", in: Self.vanilla))
                == .incompleteSignature)
    }

    @Test func acceptsFifteenMinutesOfSkewAndNoMore() {
        #expect(verify(Self.vanilla, now: V.signedAt.addingTimeInterval(15 * 60)) == nil)
        #expect(verify(Self.vanilla, now: V.signedAt.addingTimeInterval(-15 * 60)) == nil)
        #expect(verify(Self.vanilla, now: V.signedAt.addingTimeInterval(15 * 60 + 1)) == .invalidSignature)
        #expect(verify(Self.vanilla, now: V.signedAt.addingTimeInterval(-15 * 60 - 1)) == .invalidSignature)
    }

    @Test func requiresHostAndDateToBeSigned() {
        var dateOnly = Self.vanilla
        dateOnly.signedHeaders = "x-amz-date"
        #expect(verify(dateOnly) == .signatureDoesNotMatch)
        let noDate = Self.vanilla.requestHeaders.filter { $0.0 != "X-Amz-Date" }
        #expect(verify(Self.vanilla, headers: noDate) == .incompleteSignature)
        let noHost = Self.vanilla.requestHeaders.filter { $0.0 != "Host" }
        #expect(verify(Self.vanilla, headers: noHost) == .incompleteSignature)
    }

    @Test func checksADeclaredPayloadHash() {
        var declared = Self.vanilla
        declared.headers = [("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")]
        #expect(verify(declared) == .signatureDoesNotMatch)
    }

    @Test func messagesAreAWSs() throws {
        let unsigned = Self.vanilla.requestHeaders.filter { $0.0 != "Authorization" }
        #expect(throws: SigV4Error(.missingAuthenticationToken, "Missing Authentication Token")) {
            try V.verifier.verify(method: "GET", path: "/", query: "", headers: unsigned, body: [], now: V.signedAt)
        }
    }

    @Test func authorizationPartsAreTrimmedOfSpacesOnly() throws {
        let parsed = try SigV4Authorization(
            parsing: "AWS4-HMAC-SHA256   Credential = AK\u{e9}/20150830/us-east-1/service/aws4_request ,"
                + "SignedHeaders=host;x-amz-date  ,  Signature=  ab\u{a0} \t ")
        #expect(parsed.accessKey == "AK\u{e9}")
        #expect(parsed.signedHeaders == ["host", "x-amz-date"])
        // Only U+0020 is trimmed: a no-break space or a tab stays part of the value (and fails the hex check).
        #expect(parsed.signature == "ab\u{a0} \t")
        #expect(throws: SigV4Error.self) { try SigV4Authorization(parsing: "AWS4-HMAC-SHA256 Credential= ,") }
    }
}
