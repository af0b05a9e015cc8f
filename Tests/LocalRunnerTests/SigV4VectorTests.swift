import Foundation
import SigV4
import Testing

@testable import LocalRunner

/// AWS's published Signature Version 4 test suite (`aws-sig-v4-test-suite`): access key `AKIDEXAMPLE`,
/// region `us-east-1`, service `service`, signed at 2015-08-30T12:36:00Z. Each case is the `.req` request
/// and the signature of its `.authz` file; the verifier must accept every one of them.
@Suite struct SigV4VectorTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let signedAt = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
    static let verifier = SigV4Verifier(credentials: ["AKIDEXAMPLE": secret], region: "us-east-1", service: "service")

    struct Vector: Sendable, CustomStringConvertible {
        var name: String
        var method = "GET"
        var path = "/"
        var query = ""
        var headers: [(String, String)] = []
        var body = ""
        var signedHeaders = "host;x-amz-date"
        var signature: String
        var description: String { name }

        /// The request as sent: `Host`, the case's headers, `X-Amz-Date` and the `.authz` Authorization header.
        var requestHeaders: [(String, String)] {
            [("Host", "example.amazonaws.com")] + headers + [
                ("X-Amz-Date", "20150830T123600Z"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                        + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
                ),
            ]
        }
    }

    static let vanilla = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    static let unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    static let myHeader = "host;my-header1;x-amz-date"

    static let vectors: [Vector] = [
        Vector(name: "get-vanilla", signature: vanilla),
        Vector(name: "get-vanilla-empty-path", path: "", signature: vanilla),
        Vector(
            name: "get-vanilla-query", query: "Param1=value1",
            signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
        Vector(
            name: "get-vanilla-query-order-key-case", query: "Param2=value2&Param1=value1",
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector(
            name: "get-vanilla-query-order-key", query: "Param1=value2&Param1=Value1",
            signature: "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
        Vector(
            name: "get-vanilla-query-order-value", query: "Param1=value2&Param1=value1",
            signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
        Vector(
            name: "get-vanilla-query-unreserved", query: "\(unreserved)=\(unreserved)",
            signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
        Vector(
            name: "get-vanilla-utf8-query", query: "%E1%88%B4=bar",
            signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        Vector(
            name: "get-unreserved", path: "/" + unreserved,
            signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
        Vector(name: "get-relative", path: "/example/..", signature: vanilla),
        Vector(name: "get-relative-relative", path: "/example1/example2/../..", signature: vanilla),
        Vector(name: "get-slash", path: "//", signature: vanilla),
        Vector(name: "get-slash-dot-slash", path: "/./", signature: vanilla),
        Vector(
            name: "get-slash-pointless-dot", path: "/./example",
            signature: "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"),
        Vector(
            name: "get-slashes", path: "//example//",
            signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
        Vector(
            name: "get-header-value-trim", headers: [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
            signedHeaders: "host;my-header1;my-header2;x-amz-date",
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        Vector(
            name: "get-header-key-duplicate",
            headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
            signedHeaders: myHeader, signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
        Vector(
            name: "get-header-value-order",
            headers: [
                ("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2"),
            ],
            signedHeaders: myHeader, signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
        Vector(
            name: "post-vanilla", method: "POST",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(
            name: "post-vanilla-query", method: "POST", query: "Param1=value1",
            signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        Vector(
            name: "post-header-key-sort", method: "POST", headers: [("My-Header1", "value1")], signedHeaders: myHeader,
            signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
        Vector(
            name: "post-header-value-case", method: "POST", headers: [("My-Header1", "VALUE1")],
            signedHeaders: myHeader,
            signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
        Vector(
            name: "post-x-www-form-urlencoded", method: "POST",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "Param1=value1",
            signedHeaders: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
        Vector(
            name: "post-x-www-form-urlencoded-parameters", method: "POST",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf8")], body: "Param1=value1",
            signedHeaders: "content-type;host;x-amz-date",
            signature: "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"),
    ]

    @Test(arguments: vectors)
    func acceptsPublishedVector(_ vector: Vector) throws {
        let key = try Self.verifier.verify(
            method: vector.method, path: vector.path, query: vector.query, headers: vector.requestHeaders,
            body: Array(vector.body.utf8), now: Self.signedAt)
        #expect(key == "AKIDEXAMPLE")
    }

    @Test func canonicalRequestOfVanillaQueryOrderKeyIsAWSs() {
        let canonical = SigV4Canonical.canonicalRequest(
            method: "GET", path: "/", query: "Param1=value2&Param1=Value1",
            headers: SigV4Headers([("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]),
            signedHeaders: ["host", "x-amz-date"],
            payloadHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            canonical
                == "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                + "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func encodesPathSegmentsTwiceLikeNonS3Services() {
        #expect(SigV4Canonical.canonicalURI("/topics/charging%2Fupdates") == "/topics/charging%252Fupdates")
        #expect(SigV4Canonical.canonicalURI("/topics/charging/updates") == "/topics/charging/updates")
        #expect(SigV4Canonical.canonicalURI("/example space/") == "/example%20space/")
        #expect(SigV4Canonical.canonicalURI("/\u{1234}") == "/%E1%88%B4")
    }
}
