import BSON
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import DataAPIServer

/// A Data API controller over a fresh SQLite file, driven through Hummingbird's test client: what the
/// hardening tests send, with the reply parsed and the collection's contents at hand to show that a
/// refused request wrote nothing.
struct HardeningServer {
    static let key = "hardening-key"
    let client: any TestClientProtocol

    /// Runs `body` against a fresh server; `logger` is the application's (the request context's) logger.
    static func with(
        maxBodyBytes: Int = 16 << 20, logger: Logger = Logger(label: "hardening"),
        _ body: @Sendable (HardeningServer) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let backend = try SQLiteDocumentBackend(path: directory.path + "/hardening.sqlite")
        let router = Router()
        DataAPIController<BasicRequestContext>(
            backend: backend, apiKeys: [key], logger: logger, maxBodyBytes: maxBodyBytes
        ).addRoutes(to: router.group())
        try await Application(router: router, logger: logger).test(.router) { client in
            try await body(HardeningServer(client: client))
        }
    }

    /// Posts `fields` (plus database and collection) to `/action/<action>`; the status and the parsed reply
    /// (an empty document when the reply is not JSON).
    @discardableResult
    func call(_ action: String, _ fields: Document) async throws -> (status: Int, reply: Document) {
        var body = fields
        body["database"] = "hardening"
        body["collection"] = "items"
        let response = try await client.executeRequest(
            uri: "/action/" + action, method: .post,
            headers: [.contentType: "application/ejson", .init("apiKey")!: Self.key],
            body: ByteBuffer(bytes: ExtendedJSON.serializeBytes(.document(body), mode: .canonical)))
        let reply =
            (try? ExtendedJSON.parseDocument(response.body.readableBytesView, maximumDepth: 200)) ?? Document()
        return (Int(response.status.code), reply)
    }

    /// Every document of the collection, in `_id` order, as canonical Extended JSON (types and bits kept).
    func contents() async throws -> String {
        let (status, reply) = try await call("find", ["filter": [:], "sort": ["_id": 1]])
        #expect(status == 200, "reading the collection back: \(reply)")
        return ExtendedJSON.serialize(reply["documents"] ?? .null, mode: .canonical)
    }

    /// Sends a request that must be refused with a 400 `InvalidParameter` whose message contains `mention`,
    /// and checks that the collection is unchanged.
    func expectRefused(
        _ action: String, _ fields: Document, mentioning mention: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let before = try await contents()
        let (status, reply) = try await call(action, fields)
        #expect(status == 400, "\(action): \(status) \(reply)", sourceLocation: sourceLocation)
        #expect(reply["error_code"] == "InvalidParameter", sourceLocation: sourceLocation)
        let message = reply["error"]?.stringValue ?? ""
        #expect(message.contains(mention), "\(message) should mention \(mention)", sourceLocation: sourceLocation)
        #expect(message.utf8.count < 500, "a refusal message stays short", sourceLocation: sourceLocation)
        #expect(try await contents() == before, "a refused \(action) changed the store", sourceLocation: sourceLocation)
    }

    /// Sends a request that must succeed; returns its reply.
    @discardableResult
    func expectAccepted(
        _ action: String, _ fields: Document, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Document {
        let (status, reply) = try await call(action, fields)
        #expect(status == 200, "\(action): \(status) \(reply)", sourceLocation: sourceLocation)
        return reply
    }

    /// A document `depth` levels deep (the document itself is level 1) with `leaf` at the bottom.
    static func nested(_ depth: Int, leaf: BSONValue = 1) -> Document {
        var document: Document = ["v": leaf]
        for _ in 1..<max(depth, 1) { document = ["n": .document(document)] }
        return document
    }

    /// Levels of objects and arrays (a scalar 0, `{a: 1}` 1).
    static func depth(_ value: BSONValue) -> Int {
        switch value {
        case .document(let d): return 1 + (d.values.map(depth).max() ?? 0)
        case .array(let items): return 1 + (items.map(depth).max() ?? 0)
        default: return 0
        }
    }

    /// A dotted path of `count` components.
    static func path(_ count: Int, component: String = "p") -> String {
        Array(repeating: component, count: count).joined(separator: ".")
    }
}
