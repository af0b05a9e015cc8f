import Foundation
import Hummingbird
import Logging

/// `PUT /_iot/mqtt-clients/{username}` `{"password": "...", "role": "<role>"}`: the IoT side of evcsm-local makes
/// (or re-passwords) a broker client with one of the template's grantable roles (``MQTTRole/grantable``), through
/// the dynamic security plugin, and answers once the broker has. SigV4-signed (service `iotdata`) like
/// `POST /topics`; it knows roles and topics only as the template's data.
///
/// 204 done; 400 bad body, user name or role (the runner's own users, `evcsm-bridge`, `evcsm-admin` and the
/// development users, cannot be taken over); 403 unsigned or badly signed; 501 when the runner does not manage
/// its broker (`--mqtt-url`); 502 the broker refused (its reason) or did not answer; 503 before the broker is up.
struct MQTTClientsRoute: Sendable {
    static let maximumBody = 4096
    static let maximumPassword = 256

    let access: AsyncValue<MQTTAccess>
    /// The runner's SigV4 verifier for service `iotdata` (the same as `POST /topics`).
    let verifier: SigV4Verifier
    let logger: Logger

    struct Body: Decodable {
        var password: String
        var role: String
    }

    struct Message: Encodable {
        var message: String
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.put("/_iot/mqtt-clients/:username") { request, _ -> Response in
            await self.handle(request)
        }
    }

    func handle(_ request: Request) async -> Response {
        let body: [UInt8]
        switch await verifier.signedBody(
            of: request, limit: Self.maximumBody,
            tooLarge: { Self.answer(413, "the body exceeds \(Self.maximumBody) bytes") })
        {
        case .success(let signed): body = Array(buffer: signed)
        case .failure(let refused): return refused.response
        }
        let encoded = String(request.uri.path.dropFirst("/_iot/mqtt-clients/".count))
        guard let username = encoded.removingPercentEncoding, MQTTCredentials.isValidUsername(username) else {
            return Self.answer(400, "the user name is 1 to 128 letters, digits or . _ - : @")
        }
        guard let parsed = try? RunnerJSON.decoder.decode(Body.self, from: Data(body)) else {
            return Self.answer(400, "the body is {\"password\": \"...\", \"role\": \"...\"}")
        }
        guard !parsed.password.isEmpty, parsed.password.utf8.count <= Self.maximumPassword else {
            return Self.answer(400, "the password is 1 to \(Self.maximumPassword) bytes")
        }
        guard let access = access.current else { return Self.answer(503, "the broker is not ready") }
        guard let role = access.roles.role(named: parsed.role), role.grantable else {
            let grantable = access.roles.declared.filter(\.grantable).map(\.name)
            return Self.answer(
                400, "role \(parsed.role) cannot be granted (grantable: \(grantable.joined(separator: ", ")))")
        }
        guard !access.isReserved(username) else {
            return Self.answer(400, "user name \(username) is one of the runner's own broker users")
        }
        guard let admin = access.admin else {
            return Self.answer(501, "this runner does not manage the users of its broker (--mqtt-url)")
        }
        do {
            try await admin.grant(role, to: MQTTCredentials(username: username, password: parsed.password))
        } catch {
            logger.warning("MQTT client \(username) not made: \(error.message)")
            return Self.answer(502, error.message)
        }
        logger.info("MQTT client \(username) made with role \(role.name)")
        return Response(status: .noContent)
    }

    static func answer(_ status: Int, _ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let body = (try? RunnerJSON.encoder.encode(Message(message: message))) ?? Data()
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
