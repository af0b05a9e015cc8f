import BSON
import Essentials
import Testing

@Suite("Data API errors")
struct DataAPIErrorTests {
    struct Cause: Error, CustomStringConvertible {
        var description: String { "disk I/O error at /var/lib/secret.sqlite" }
    }

    @Test("codes keep their wire names and statuses")
    func codes() {
        #expect(
            DataAPIErrorCode.allCases.map(\.rawValue) == [
                "InvalidParameter", "Unauthorized", "ActionNotFound", "DuplicateKey", "PayloadTooLarge",
                "InternalServerError", "ServiceUnavailable", "Transport", "UnexpectedResponse",
            ])
        #expect(DataAPIErrorCode.allCases.map(\.httpStatus) == [400, 401, 404, 409, 413, 500, 503, 0, 0])
        #expect(
            [401, 403, 404, 409, 413, 503, 418, 502].map(DataAPIErrorCode.forStatus) == [
                .unauthorized, .unauthorized, .actionNotFound, .duplicateKey, .payloadTooLarge, .backendUnavailable,
                .invalidParameter, .backendFailure,
            ])
    }

    @Test("the envelope and the description carry the message, never the underlying error")
    func underlyingStaysInternal() {
        let error = DataAPIError(.backendFailure, "the embedded database failed", underlying: Cause())
        #expect(error.httpStatus == 500)
        #expect(error.envelope == ["error": "the embedded database failed", "error_code": "InternalServerError"])
        #expect(error.description == "InternalServerError: the embedded database failed")
        #expect(!ExtendedJSON.serialize(error.envelope, mode: .relaxed).contains("secret"))
        #expect(error.debugDescription.contains("/var/lib/secret.sqlite"))
        #expect(error.underlying is Cause)
        #expect(error == DataAPIError(.backendFailure, "the embedded database failed"))
    }
}
