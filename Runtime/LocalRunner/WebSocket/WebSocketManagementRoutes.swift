import Essentials
import Foundation
import Hummingbird

/// The WebSocket API's management API, as functions call it at `OCPP_CONNECTIONS_ENDPOINT`:
/// `POST /@connections/{connectionId}` (the body is sent as one text message: 200; 413 over 128 KiB),
/// `GET /@connections/{connectionId}` (200 `{connectedAt, lastActiveAt, identity: {sourceIp, userAgent}}`) and
/// `DELETE /@connections/{connectionId}` (204: the connection closes, then `$disconnect` runs). A connection that
/// is not open is 410 `{"message": "Gone"}` (`GoneException`). SigV4-signed with the workers' credentials
/// (service `execute-api`), checked like `POST /topics`.
struct WebSocketManagementRoutes: Sendable {
    let gateway: WebSocketGateway
    let verifier: SigV4Verifier

    struct Info: Encodable {
        struct Identity: Encodable {
            var sourceIp: String?
            var userAgent: String?
        }
        var connectedAt: String
        var lastActiveAt: String
        var identity: Identity
    }

    /// The verifier of the management API: the workers' credentials, service `execute-api`, and the path as sent
    /// accepted too (functions sign with the libcurl they have; before 8.10 it signs `@` unencoded).
    static func verifier(credentials: WorkerCredentials, region: String) -> SigV4Verifier {
        var verifier = SigV4Verifier(
            credentials: [credentials.accessKeyId: credentials.secretAccessKey], region: region, service: "execute-api")
        verifier.acceptsPathAsSent = true
        return verifier
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/@connections/:connectionId") { request, context -> Response in
            await self.handle(request, context) { connection, body in
                guard await connection.send(String(buffer: body)) else { return Self.gone }
                self.gateway.metrics.messagesOut.increment()
                return Response(status: .ok)
            }
        }
        router.get("/@connections/:connectionId") { request, context -> Response in
            await self.handle(request, context) { connection, _ in
                let identity = connection.events.identity
                let info = Info(
                    connectedAt: Timestamp.format(milliseconds: connection.events.connectedAt),
                    lastActiveAt: Timestamp.format(milliseconds: connection.lastActiveAt),
                    identity: .init(sourceIp: identity.sourceIp, userAgent: identity.userAgent))
                return Self.json(200, (try? RunnerJSON.encoder.encode(info)) ?? Data())
            }
        }
        router.delete("/@connections/:connectionId") { request, context -> Response in
            await self.handle(request, context) { connection, _ in
                await connection.close(.normalClosure, reason: "Closed by the management API")
                return Response(status: .noContent)
            }
        }
    }

    /// Checks the signature, then answers for the open connection the path names (410 when there is none).
    func handle(
        _ request: Request, _ context: BasicRequestContext,
        _ answer: (GatewayConnection, ByteBuffer) async -> Response
    ) async -> Response {
        let limit = gateway.settings.maximumMessageBytes
        let body: ByteBuffer
        switch await verifier.signedBody(
            of: request, limit: limit,
            tooLarge: { Self.error(413, "PayloadTooLargeException", "the message exceeds \(limit) bytes") })
        {
        case .success(let signed): body = signed
        case .failure(let refused): return refused.response
        }
        guard let id = context.parameters.get("connectionId"), let connection = gateway.connection(id) else {
            return Self.gone
        }
        return await answer(connection, body)
    }

    static var gone: Response { error(410, "GoneException", "Gone") }

    static func error(_ status: Int, _ name: String, _ message: String) -> Response {
        var response = json(status, (try? RunnerJSON.encoder.encode(["message": message])) ?? Data())
        response.headers[SigV4Verifier.errorTypeHeader] = name
        return response
    }

    static func json(_ status: Int, _ body: Data) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

}
