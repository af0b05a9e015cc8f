import BSON
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import DataAPIServer

/// Backend failures answer with a code and a plain message; what caused them stays in the server's log.
@Suite("Data API error responses")
struct ErrorResponseTests {
    struct SecretCause: Error, CustomStringConvertible {
        var description: String { "SQLite error 10: disk I/O error at /srv/secret/evcsm.sqlite" }
    }

    /// Fails every call with `error`.
    struct FailingBackend: DocumentBackend {
        let error: any Error

        func find(_ command: FindCommand) async throws -> [Document] { throw error }
        func insert(_ command: InsertCommand) async throws -> [BSONValue] { throw error }
        func update(_ command: UpdateCommand) async throws -> UpdateResult { throw error }
        func delete(_ command: DeleteCommand) async throws -> Int { throw error }
        func aggregate(_ command: AggregateCommand) async throws -> [Document] { throw error }
    }

    func answer(_ error: any Error) async throws -> (status: Int, body: Document, text: String) {
        let router = Router()
        DataAPIController<BasicRequestContext>(
            backend: FailingBackend(error: error), apiKeys: [], logger: Logger(label: "test")
        ).addRoutes(to: router.group())
        return try await Application(router: router).test(.router) { client in
            let response = try await client.executeRequest(
                uri: "/action/find", method: .post, headers: [.contentType: "application/json"],
                body: ControllerTests.body(["filter": [:]]))
            let text = String(buffer: response.body)
            return (Int(response.status.code), try ControllerTests.json(response), text)
        }
    }

    @Test("a backend error with a cause answers its code and message only")
    func codedFailure() async throws {
        let (status, body, text) = try await answer(
            DataAPIError(.backendUnavailable, "the embedded database is busy, retry", underlying: SecretCause()))
        #expect(status == 503)
        #expect(body == ["error": "the embedded database is busy, retry", "error_code": "ServiceUnavailable"])
        #expect(!text.contains("secret"))
    }

    @Test("any other error is a 500 that names nothing internal")
    func unexpectedFailure() async throws {
        let (status, body, text) = try await answer(SecretCause())
        #expect(status == 500)
        #expect(body == ["error": "internal error", "error_code": "InternalServerError"])
        #expect(!text.contains("secret"))
    }
}
