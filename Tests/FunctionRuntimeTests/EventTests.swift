import Essentials
import Foundation
import FunctionRuntime
import Testing

@Suite("Event and response shapes")
struct EventTests {
    @Test func decodesAPIGatewayV2Request() throws {
        let request = try JSONDecoder().decode(
            APIGatewayV2Request.self, from: Data(try fixture("events/apigw-v2-get-session.json")))
        #expect(request.version == "2.0")
        #expect(request.method == "GET")
        #expect(request.routeKey == "GET /api/ChargingSessionAPI/sessions/{sessionId}")
        #expect(request.rawPath == "/api/ChargingSessionAPI/sessions/3f6c2a9e-8d4b-4c1e-9a7f-2b5d8e1c0a94")
        #expect(request.pathParameters?["sessionId"] == "3f6c2a9e-8d4b-4c1e-9a7f-2b5d8e1c0a94")
        #expect(request.query("parameter1") == "value1,value2")
        #expect(request.header("Header2") == "value1,value2")
        #expect(request.cookies == ["cookie1", "cookie2"])
        #expect(request.requestContext.requestId == "id")
        #expect(request.requestContext.timeEpoch == 1_583_348_638_390)
        #expect(request.requestContext.http.sourceIp == "192.0.2.1")
        #expect(request.body == nil)
        #expect(request.bodyBytes == nil)
    }

    @Test func decodesBase64Body() throws {
        let request = try JSONDecoder().decode(
            APIGatewayV2Request.self, from: Data(try fixture("events/apigw-v2-post-base64.json")))
        #expect(request.isBase64Encoded)
        let body = try #require(request.bodyBytes)
        #expect(String(decoding: body, as: UTF8.self) == #"{"sessionId": "3f6c2a9e-8d4b-4c1e-9a7f-2b5d8e1c0a94"}"#)
    }

    @Test func decodesIoTRuleEvent() throws {
        let message = try JSONDecoder().decode(TopicMessage.self, from: Data(try fixture("events/iot-rule-meter.json")))
        #expect(message.topic == "chargers/cp-1/meter")
        #expect(message.timestamp == 1_795_691_395_123)
        let payload = try #require(jsonObject(message.payload))
        #expect(payload["sessionId"] as? String == "s-1")
        #expect(payload["energyWh"] as? Int == 1250)
        #expect(payload["seq"] as? Int == 7)

        let plain = try JSONDecoder().decode(
            TopicMessage.self, from: Data(try fixture("events/iot-rule-plain-text.json")))
        #expect(String(decoding: plain.payload, as: UTF8.self) == "Charging")
    }

    @Test func topicMessageRoundTripsAndRejectsBadBase64() throws {
        let message = TopicMessage(topic: "charging/updates", payload: Array("Stopped".utf8), timestamp: 42)
        let data = try JSONEncoder().encode(message)
        #expect(try JSONDecoder().decode(TopicMessage.self, from: data) == message)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TopicMessage.self, from: Data(#"{"data":"%%%","topic":"t","ts":1}"#.utf8))
        }
    }

    @Test func errorEnvelopeResponse() throws {
        let now = Date(timeIntervalSince1970: 1_795_691_395.123)
        let response = APIGatewayV2Response.error(
            status: 404, error: "NotFound", message: "session s-1 not found", now: now)
        #expect(response.statusCode == 404)
        #expect(response.headers["content-type"] == "application/json")
        #expect(
            response.body
                == #"{"error":"NotFound","message":"session s-1 not found","timestamp":"2026-11-26T11:09:55.123Z"}"#
        )
        let envelope = try JSONDecoder().decode(ErrorEnvelope.self, from: Data(response.body.utf8))
        #expect(envelope == ErrorEnvelope(error: "NotFound", message: "session s-1 not found", now: now))
    }

    @Test func errorFromConvertible() throws {
        let response = APIGatewayV2Response.error(SampleError.busy)
        #expect(response.statusCode == 409)
        let body = try #require(jsonObject(Array(response.body.utf8)))
        #expect(body["error"] as? String == "Conflict")
        #expect(body["message"] as? String == "charging point cp-1 is busy")
        #expect(Timestamp.parse(body["timestamp"] as? String ?? "") != nil)
    }

    @Test func responseEncodesV2Shape() throws {
        let response = try APIGatewayV2Response.json(["ok": true], status: 201)
        let object = try #require(jsonObject(Array(try JSONCoding.encoder.encode(response))))
        #expect(object["statusCode"] as? Int == 201)
        #expect(object["body"] as? String == #"{"ok":true}"#)
        #expect(object["isBase64Encoded"] as? Bool == false)
        #expect((object["headers"] as? [String: String])?["content-type"] == "application/json")
        #expect(object["cookies"] as? [String] == [])
    }
}

enum SampleError: HTTPErrorConvertible {
    case busy
    var httpStatus: Int { 409 }
    var errorName: String { "Conflict" }
    var publicMessage: String { "charging point cp-1 is busy" }
}
