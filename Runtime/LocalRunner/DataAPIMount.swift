import BSON
import Foundation
import FunctionRuntime
import Hummingbird
import Logging
import Synchronization

/// `/data-api/*` on the runner, for people and tools: a reverse proxy to the ``DataAPIProcess`` (workers call
/// that process directly). Method, the path after `/data-api`, query, body and the `apiKey`, `Authorization`,
/// `Content-Type` and `Accept` headers go through as they are; the process checks the key. While the process
/// is down the answer is 503 `{"error":"Data API is restarting","error_code":"ServiceUnavailable"}`.
enum DataAPIMount {
    /// Adds the proxy routes to `upstream`.
    static func addRoutes(to router: Router<BasicRequestContext>, upstream: DataAPIUpstream, logger: Logger) {
        let proxy = DataAPIProxy(upstream: upstream, logger: logger)
        let group = router.group("/data-api")
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            group.on("**", method: method) { request, _ in await proxy.forward(request) }
        }
    }
}

/// Where the Data API process can be reached right now: its base URL while it is up, nil while it is down
/// (or not started yet).
final class DataAPIUpstream: Sendable {
    private let address = Mutex<String?>(nil)

    init() {}

    /// `http://127.0.0.1:<port>` while the process is up.
    var baseURL: String? { address.withLock { $0 } }

    func set(_ baseURL: String?) { address.withLock { $0 = baseURL } }
}

/// Forwards one request to the Data API process (plain HTTP on loopback, see ``BlockingHTTP``).
struct DataAPIProxy: Sendable {
    /// The largest body passed on (what `evcsm-data-api` accepts by default).
    static let maxBodyBytes = 16 << 20
    static let forwardedHeaders = ["apiKey", "Authorization", "Content-Type", "Accept"]
    static let connectTimeout: Duration = .seconds(2)
    static let timeout: Duration = .seconds(30)

    let upstream: DataAPIUpstream
    let logger: Logger

    func forward(_ request: Request) async -> Response {
        guard let base = upstream.baseURL else { return Self.restarting }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch {
            return Self.envelope(
                .contentTooLarge,
                DataAPIError(.payloadTooLarge, "the request body is larger than \(Self.maxBodyBytes) bytes"))
        }
        let path = request.uri.path.dropFirst("/data-api".count)
        let query = request.uri.query.map { "?\($0)" } ?? ""
        var headers: [(String, String)] = []
        for name in Self.forwardedHeaders {
            guard let field = HTTPFields.Element.Name(name) else { continue }
            for value in request.headers[values: field] { headers.append((name, value)) }
        }
        let outgoing = HTTPClientRequest(
            method: request.method.rawValue, url: base + path + query, headers: headers, body: Array(buffer: body),
            timeout: Self.timeout, connectTimeout: Self.connectTimeout)
        switch await BlockingHTTP.send(outgoing) {
        case .success(let reply):
            var fields = HTTPFields()
            if let type = reply.header("content-type") { fields[.contentType] = type }
            return Response(
                status: HTTPResponse.Status(code: reply.status), headers: fields,
                body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
        case .failure(let error):
            // Refused or cut off: the process is down or has just crashed, and its supervisor restarts it.
            logger.warning("Data API proxy: \(error.message)")
            return Self.restarting
        }
    }

    static var restarting: Response {
        envelope(.serviceUnavailable, DataAPIError(.backendUnavailable, "Data API is restarting"))
    }

    /// A Data API error envelope `{"error": …, "error_code": …}`.
    static func envelope(_ status: HTTPResponse.Status, _ error: DataAPIError) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let body = ExtendedJSON.serializeBytes(.document(error.envelope), mode: .relaxed)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
