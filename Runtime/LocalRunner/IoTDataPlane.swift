import Foundation
import FunctionRuntime
import Hummingbird

/// Something the IoT Data Plane route can publish through (the bridge's MQTT connection).
public protocol MessagePublisher: Sendable {
    func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) throws(LocalRunnerError)
}

extension MQTTConnection: MessagePublisher {}

/// The AWS IoT Data Plane publish route the functions use: `POST /topics/{url-encoded topic}?qos=0|1`, SigV4-signed
/// with the runner's worker credentials (service `iotdata`); unsigned or wrongly signed is AWS's 403.
struct IoTDataPlane: Sendable {
    /// AWS IoT's largest message.
    static let maximumPayload = 128 * 1024

    let publisher: AsyncValue<any MessagePublisher>
    let metrics: RunnerMetrics
    /// Checks every request's signature before anything else (``SigV4Verifier``).
    let verifier: SigV4Verifier

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/topics/**") { request, _ -> Response in
            await self.publish(request)
        }
    }

    func publish(_ request: Request) async -> Response {
        let body: ByteBuffer
        switch await verifier.signedBody(
            of: request, limit: Self.maximumPayload,
            tooLarge: {
                Self.error(413, "RequestEntityTooLargeException", "payload exceeds \(Self.maximumPayload) bytes")
            })
        {
        case .success(let signed): body = signed
        case .failure(let refused): return refused.response
        }
        let encoded = String(request.uri.path.dropFirst("/topics/".count))
        guard let topic = encoded.removingPercentEncoding, !topic.isEmpty, !topic.contains("#"),
            !topic.contains("+")
        else {
            return Self.error(400, "InvalidRequestException", "topic is missing or contains wildcards")
        }
        let qosText = request.uri.queryParameters.get("qos") ?? "0"
        guard let qos = Int(qosText), qos == 0 || qos == 1 else {
            return Self.error(400, "InvalidRequestException", "qos must be 0 or 1")
        }
        guard let publisher = publisher.current else {
            return Self.error(503, "ServiceUnavailableException", "MQTT broker connection is not ready")
        }
        do {
            let retain = request.uri.queryParameters.get("retain") == "true"
            try publisher.publish(topic: topic, payload: Array(buffer: body), qos: qos, retain: retain)
        } catch {
            return Self.error(503, "ServiceUnavailableException", error.message)
        }
        metrics.recordMQTTOut(topic: topic)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "{}")))
    }

    static func error(_ status: Int, _ name: String, _ message: String) -> Response {
        APIGateway.httpResponse(.error(status: status, error: name, message: message))
    }
}
