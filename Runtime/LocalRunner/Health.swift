import Foundation
import Hummingbird
import Prometheus

/// `GET /healthz` (JSON, 503 while the broker connection is down) and `GET /metrics` (Prometheus text).
struct Health: Sendable {
    /// The `/healthz` body: `{"functions":7,"mqtt":"connected","status":"ok","uptimeSeconds":12}`.
    struct Report: Codable, Sendable, Equatable {
        var status: String
        var mqtt: String
        var functions: Int
        var uptimeSeconds: Int
    }

    let metrics: RunnerMetrics
    let started: ContinuousClock.Instant
    let brokerConnected: @Sendable () -> Bool
    let functionCount: Int

    func report() -> Report {
        let connected = brokerConnected()
        return Report(
            status: connected ? "ok" : "degraded", mqtt: connected ? "connected" : "disconnected",
            functions: functionCount, uptimeSeconds: Int((ContinuousClock.now - started).seconds))
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ -> Response in
            let report = report()
            let data = (try? RunnerJSON.encoder.encode(report)) ?? Data()
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(
                status: report.status == "ok" ? .ok : .serviceUnavailable, headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
    }
}
