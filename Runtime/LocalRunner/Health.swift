import Foundation
import Hummingbird

/// `GET /healthz` (JSON, 503 while the broker connection is down) and `GET /metrics` (Prometheus text).
struct Health: Sendable {
    let metrics: RunnerMetrics
    let started: ContinuousClock.Instant
    let brokerConnected: @Sendable () -> Bool
    let functionCount: Int

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ -> Response in
            let connected = brokerConnected()
            let body: [String: Any] = [
                "status": connected ? "ok" : "degraded", "mqtt": connected ? "connected" : "disconnected",
                "functions": functionCount, "uptimeSeconds": Int((ContinuousClock.now - started).seconds),
            ]
            let data =
                (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data()
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(
                status: connected ? .ok : .serviceUnavailable, headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.prometheusText())))
        }
        // A bare route served by the same process, for `make bench` (not part of the API).
        router.get("/_bench/hello") { _, _ in "hello" }
    }
}
