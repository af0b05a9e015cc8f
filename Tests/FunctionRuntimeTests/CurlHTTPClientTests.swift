import Foundation
import TestSupport
import Testing

@testable import FunctionRuntime

@Suite("CurlHTTPClient")
struct CurlHTTPClientTests {
    @Test func sendsMethodHeadersAndBodyAndReadsTheAnswer() async throws {
        try await StubHTTPServer.withServer({ request in
            .json(
                #"{"echo":\#(request.body.count)}"#, status: 201,
                headers: [("X-Reply", "yes"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        }) { server in
            let client = CurlHTTPClient()
            let response = try client.send(
                HTTPClientRequest(
                    method: "POST", url: server.baseURL + "/data-api/action/findOne?x=1",
                    headers: [("Content-Type", "application/ejson"), ("apiKey", "secret")],
                    body: Array(#"{"filter":{}}"#.utf8)))
            #expect(response.status == 201)
            #expect(response.headers["x-reply"] == "yes")
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.headers["set-cookie"] == "a=1, b=2")
            #expect(String(decoding: response.body, as: UTF8.self) == #"{"echo":13}"#)

            let recorded = try #require(server.requests.first)
            #expect(recorded.method == "POST")
            #expect(recorded.path == "/data-api/action/findOne")
            #expect(recorded.query == "x=1")
            #expect(recorded.header("apikey") == "secret")
            #expect(recorded.header("content-type") == "application/ejson")
            #expect(recorded.header("expect") == nil)
            #expect(recorded.bodyText == #"{"filter":{}}"#)
        }
    }

    @Test func otherMethodsAndEmptyBodies() async throws {
        try await StubHTTPServer.withServer({ request in
            .text(request.method, status: request.method == "DELETE" ? 404 : 200)
        }) { server in
            let client = CurlHTTPClient()
            let get = try client.send(HTTPClientRequest(method: "GET", url: server.baseURL + "/a"))
            #expect(get.status == 200)
            #expect(String(decoding: get.body, as: UTF8.self) == "GET")
            let delete = try client.send(HTTPClientRequest(method: "delete", url: server.baseURL + "/b"))
            #expect(delete.status == 404)
            let put = try client.send(HTTPClientRequest(method: "PUT", url: server.baseURL + "/c", body: [1, 2, 3]))
            #expect(String(decoding: put.body, as: UTF8.self) == "PUT")
            let post = try client.send(HTTPClientRequest(method: "POST", url: server.baseURL + "/d"))
            #expect(post.status == 200)
            let requests = server.requests
            #expect(requests.map(\.method) == ["GET", "DELETE", "PUT", "POST"])
            #expect(requests[2].body == [1, 2, 3])
            #expect(requests[3].body.isEmpty)
            #expect(requests[3].header("content-length") == "0")
            // curl's default form content type is not sent when none was asked for.
            #expect(requests[3].header("content-type") == nil)
        }
    }

    @Test func reusesOneConnection() async throws {
        try await StubHTTPServer.withServer({ _ in .text("ok") }) { server in
            let client = CurlHTTPClient()
            for index in 0..<5 {
                let response = try client.send(
                    HTTPClientRequest(
                        method: index.isMultiple(of: 2) ? "GET" : "POST", url: server.baseURL + "/\(index)"))
                #expect(response.status == 200)
            }
            let ports = Set(server.requests.compactMap(\.clientPort))
            #expect(server.requests.count == 5)
            #expect(ports.count == 1, "requests came over \(ports.count) connections")
        }
    }

    @Test func connectionRefusedIsATransportError() throws {
        let client = CurlHTTPClient()
        let error = try #require(throws: FunctionRuntimeError.self) {
            try client.send(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:1/nothing"))
        }
        #expect(error.code == .transport)
        #expect(error.message.hasSuffix("for GET http://127.0.0.1:1/nothing"))
    }

    @Test func timeoutIsATransportError() async throws {
        try await StubHTTPServer.withServer({ _ in
            try await Task.sleep(for: .seconds(3))
            return .text("late")
        }) { server in
            let client = CurlHTTPClient()
            let error = try #require(throws: FunctionRuntimeError.self) {
                try client.send(
                    HTTPClientRequest(method: "POST", url: server.baseURL + "/slow", timeout: .milliseconds(200)))
            }
            #expect(error.code == .transport)
            #expect(error.message.contains("POST \(server.baseURL)/slow"))
            // The handle is usable again after a failure.
            #expect(throws: Never.self) {
                _ = try? client.send(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:1/"))
            }
        }
    }

    @Test func sigV4SignsTheRequest() async throws {
        try await StubHTTPServer.withServer({ _ in .json("{}") }) { server in
            let client = CurlHTTPClient()
            _ = try client.send(
                HTTPClientRequest(
                    method: "POST", url: server.baseURL + "/topics/session%2Fupdates?qos=1", body: Array("{}".utf8),
                    awsSigV4: "aws:amz:eu-west-1:iotdata",
                    awsCredentials: (accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "token-1")))
            let recorded = try #require(server.requests.first)
            let authorization = try #require(recorded.header("authorization"))
            #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
            #expect(authorization.contains("/eu-west-1/iotdata/aws4_request"))
            #expect(recorded.header("x-amz-date") != nil)
            #expect(recorded.header("x-amz-security-token") == "token-1")
        }
    }

    @Test func durationsBecomeCurlMilliseconds() {
        #expect(CurlHTTPClient.milliseconds(.zero) == 0)
        #expect(CurlHTTPClient.milliseconds(.seconds(5)) == 5000)
        #expect(CurlHTTPClient.milliseconds(.microseconds(1)) == 1)
        #expect(CurlHTTPClient.milliseconds(.milliseconds(1500)) == 1500)
    }
}
