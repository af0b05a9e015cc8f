import BSON
import Foundation
import Hummingbird
import Logging

/// The MongoDB Data API v1 over HTTP: `POST /action/{name}` and the Atlas-style
/// `POST /app/{appId}/endpoint/data/v1/action/{name}`, answered from a ``DocumentBackend``.
///
/// Bodies are JSON or Extended JSON (`Content-Type`/`Accept`: `application/json` = relaxed,
/// `application/ejson` = canonical). Errors are `{error, error_code}` with the status of the
/// ``DataAPIErrorCode``: 400 bad request, 401 missing or wrong key, 404 unknown action, 409 duplicate
/// key, 413 body too large, 500 backend failure, 503 backend unavailable. An error's cause (a SQLite or
/// libmongoc failure) goes to the log, never into the response.
public struct DataAPIController<Context: RequestContext>: Sendable {
    private let backend: any DocumentBackend
    private let apiKeys: APIKeyring
    private let logger: Logger
    private let maxBodyBytes: Int

    /// - Parameters:
    ///   - apiKeys: accepted keys (header `apiKey: <key>` or `Authorization: Bearer <key>`); an empty
    ///     set turns authentication off, which callers must only allow on loopback.
    ///   - maxBodyBytes: larger request bodies are refused with 413.
    public init(backend: any DocumentBackend, apiKeys: Set<String>, logger: Logger, maxBodyBytes: Int = 16 << 20) {
        self.init(backend: backend, keyring: APIKeyring(apiKeys), logger: logger, maxBodyBytes: maxBodyBytes)
    }

    /// A controller whose accepted keys can change while it serves (``APIKeyFileWatcher``); an empty
    /// keyring turns authentication off, which callers must only allow on loopback.
    public init(backend: any DocumentBackend, keyring: APIKeyring, logger: Logger, maxBodyBytes: Int = 16 << 20) {
        self.backend = backend
        self.apiKeys = keyring
        self.logger = logger
        self.maxBodyBytes = maxBodyBytes
    }

    /// Adds the action routes to `group`.
    public func addRoutes(to group: RouterGroup<Context>) {
        group.post("action/:action") { request, context in await handle(request, context) }
        group.post("app/:appId/endpoint/data/v1/action/:action") { request, context in
            await handle(request, context)
        }
        // No action name: the same 404 ActionNotFound envelope as an unknown name (after the key check).
        group.post("action") { request, context in await handle(request, context) }
        group.post("app/:appId/endpoint/data/v1/action") { request, context in await handle(request, context) }
    }

    // MARK: - Request handling

    private func handle(_ request: Request, _ context: Context) async -> Response {
        let started = ContinuousClock.now
        let name = context.parameters.get("action") ?? ""
        let format = ResponseFormat(request)
        // No per-request logger metadata: the action and namespace go into the lines that are written.
        var namespace: Namespace?
        let response: Response
        do {
            response = try await respond(request, action: name, format: format, namespace: &namespace)
        } catch let error as DataAPIError {
            response = Self.errorResponse(error, format: format)
            if error.httpStatus >= 500 {
                context.logger.error(
                    "Data API backend error",
                    metadata: Self.metadata(name, namespace, ["error": "\(error.debugDescription)"]))
            }
        } catch {
            let failure = DataAPIError(.backendFailure, "internal error", underlying: error)
            response = Self.errorResponse(failure, format: format)
            context.logger.error(
                "Data API unexpected error",
                metadata: Self.metadata(name, namespace, ["error": "\(failure.debugDescription)"]))
        }
        // Per request at debug (issue 11): info stays quiet under load. Headers are never logged (no key).
        context.logger.debug(
            "Data API request",
            metadata: Self.metadata(
                name, namespace,
                ["status": "\(response.status.code)", "ms": "\(Self.milliseconds(since: started))"]))
        return response
    }

    private static func metadata(
        _ action: String, _ namespace: Namespace?, _ more: Logger.Metadata
    ) -> Logger.Metadata {
        var metadata = more
        metadata["action"] = "\(action)"
        if let namespace { metadata["namespace"] = "\(namespace)" }
        return metadata
    }

    private static func milliseconds(since started: ContinuousClock.Instant) -> Double {
        let elapsed = (ContinuousClock.now - started).components
        let milliseconds = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        return (milliseconds * 10).rounded() / 10
    }

    private func respond(
        _ request: Request, action name: String, format: ResponseFormat, namespace: inout Namespace?
    )
        async throws -> Response
    {
        try authenticate(request)
        guard let action = DataAPIAction(rawValue: name) else {
            throw DataAPIError(.actionNotFound, "unknown action \"\(name)\"")
        }
        if let type = request.headers[.contentType], !Self.isJSONContentType(type) {
            throw DataAPIError(
                .invalidParameter, "unsupported Content-Type \"\(type)\" (use application/json or application/ejson)")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            throw DataAPIError(.payloadTooLarge, "request body exceeds \(maxBodyBytes) bytes")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBodyBytes)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw DataAPIError(.payloadTooLarge, "request body exceeds \(maxBodyBytes) bytes")
        } catch {
            throw DataAPIError(.invalidParameter, "could not read the request body", underlying: error)
        }
        guard buffer.readableBytes > 0 else { throw DataAPIError(.invalidParameter, "request body is empty") }
        let body = try ExtendedJSON.parseDocument(
            buffer.readableBytesView, maximumDepth: DataAPILimits.maxRequestJSONDepth)
        let parsed = try ActionRequest(action, body)
        namespace = parsed.namespace
        // The workers ask for canonical EJSON: a find's stored documents are spliced into the reply.
        if format.mode == .canonical, let (found, one) = try await parsed.canonicalDocuments(on: backend) {
            return Self.response(.ok, buffer: Self.findReply(found, one: one), format: format)
        }
        return Self.response(.ok, try await parsed.run(on: backend), format: format)
    }

    private func authenticate(_ request: Request) throws(DataAPIError) {
        guard !apiKeys.isEmpty else { return }
        var presented: String?
        if let key = request.headers[.init("apiKey")!] {
            presented = key
        } else if let authorization = request.headers[.authorization] {
            let prefix = "bearer "
            if authorization.lowercased().hasPrefix(prefix) {
                presented = String(authorization.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
            }
        }
        // An empty key is no key, even if an empty string slipped into the configured set.
        guard let presented, !presented.isEmpty else {
            throw DataAPIError(.unauthorized, "missing API key (header apiKey or Authorization: Bearer)")
        }
        // Digests compared in constant time, every key, no early exit (APIKeyring).
        guard apiKeys.accepts(presented) else { throw DataAPIError(.unauthorized, "invalid API key") }
    }

    private static func isJSONContentType(_ value: String) -> Bool {
        // What the workers send, compared without lowercasing or splitting (the general case below).
        if value == "application/ejson" || value == "application/json" { return true }
        let mediaType = value.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return mediaType == "application/json" || mediaType == "application/ejson"
    }

    // MARK: - Responses

    /// Canonical EJSON for `application/ejson`, relaxed EJSON for `application/json`.
    struct ResponseFormat {
        let mode: ExtendedJSON.Mode

        init(_ request: Request) {
            let raw = request.headers[.accept]
            // What the workers send, decided without lowercasing or searching the header.
            if raw == "application/ejson" {
                mode = .canonical
                return
            }
            let accept = raw?.lowercased() ?? ""
            if accept.contains("application/ejson") {
                mode = .canonical
            } else if accept.contains("application/json") {
                mode = .relaxed
            } else {
                mode = (request.headers[.contentType]?.lowercased().contains("ejson") ?? false) ? .canonical : .relaxed
            }
        }

        var contentType: String { mode == .canonical ? "application/ejson" : "application/json" }
    }

    static func errorResponse(_ error: DataAPIError, format: ResponseFormat) -> Response {
        response(HTTPResponse.Status(code: error.httpStatus), error.envelope, format: format)
    }

    private static func response(_ status: HTTPResponse.Status, _ body: Document, format: ResponseFormat) -> Response {
        response(status, bytes: ExtendedJSON.serializeBytes(.document(body), mode: format.mode), format: format)
    }

    private static func response(_ status: HTTPResponse.Status, bytes: [UInt8], format: ResponseFormat) -> Response {
        response(status, buffer: ByteBuffer(bytes: bytes), format: format)
    }

    private static func response(_ status: HTTPResponse.Status, buffer: ByteBuffer, format: ResponseFormat) -> Response
    {
        Response(
            status: status, headers: [.contentType: format.contentType], body: ResponseBody(byteBuffer: buffer))
    }

    /// `{"documents":[…]}`, or `{"document":…}` (null when nothing matched) for `findOne`: the bytes the
    /// reply document serializes to canonically, with the documents spliced in.
    static func findReply(_ found: SerializedDocuments, one: Bool) -> ByteBuffer {
        let (open, close) = one ? (#"{"document":"#, "}") : (#"{"documents":["#, "]}")
        var reply = ByteBufferAllocator().buffer(capacity: found.bytes.count + 16)
        reply.writeString(open)
        if one && found.count == 0 {
            reply.writeString("null")
        } else {
            reply.writeBytes(found.bytes)
        }
        reply.writeString(close)
        return reply
    }
}
