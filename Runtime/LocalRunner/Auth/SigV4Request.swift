import Foundation
import Hummingbird

extension SigV4Verifier {
    static let errorTypeHeader = HTTPHeaderField.Name("x-amzn-ErrorType")!

    /// Verifies a Hummingbird request whose body has been collected: the raw path and query as received, every
    /// header plus `host` (which HTTP/1 requests carry as the authority), now. Returns the signing access key.
    func verify(_ request: Request, body: ByteBuffer, now: Date = Date()) throws(SigV4Error) -> String {
        var headers = request.headers.map { ($0.name.canonicalName, $0.value) }
        if let authority = request.head.authority { headers.append(("host", authority)) }
        return try verify(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "", headers: headers,
            body: Array(buffer: body), now: now)
    }

    /// The body of a request that must be signed, collected up to `limit` bytes and verified: `.failure` holds the
    /// answer to send instead (`tooLarge()` past the limit, AWS's 403 for a missing or wrong signature).
    func signedBody(
        of request: Request, limit: Int, tooLarge: () -> Response
    ) async -> Result<ByteBuffer, RefusedRequest> {
        guard let body = try? await request.body.collect(upTo: limit + 1), body.readableBytes <= limit else {
            return .failure(RefusedRequest(response: tooLarge()))
        }
        do {
            _ = try verify(request, body: body)
        } catch {
            return .failure(RefusedRequest(response: Self.forbidden(error)))
        }
        return .success(body)
    }

    /// AWS's answer to a refused signature: `403 {"message": "..."}` with the error name in `x-amzn-ErrorType`.
    static func forbidden(_ error: SigV4Error) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[errorTypeHeader] = error.code.rawValue
        let body =
            (try? RunnerJSON.encoder.encode(["message": error.message])) ?? Data(#"{"message":"Forbidden"}"#.utf8)
        return Response(status: .forbidden, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// The answer to a request ``SigV4Verifier/signedBody(of:limit:tooLarge:)`` refused.
struct RefusedRequest: Error {
    let response: Response
}
