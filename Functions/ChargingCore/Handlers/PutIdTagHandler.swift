import BSON
import DataAPI
import Essentials
import FunctionRuntime
import Logging

/// `PUT /idtags/{idTag}` `{userId, status, expiryDate?}` (operators only): creates (201) or replaces (200) the
/// OCPP idTag and answers with the stored record `{idTag, userId, status, expiryDate?, updatedAt}`. The tag is
/// 1–20 printable ASCII characters (OCPP CiString20), stored and compared exactly as given. 400 naming the field
/// (nothing is written), 401 without a caller, 403 for a driver, 503 when the store is unavailable.
public struct PutIdTagHandler: HTTPFunction {
    let idTags: any IdTagStore
    let clock: any WallClock
    let authMode: AuthMode

    public init(idTags: any IdTagStore, clock: any WallClock = SystemWallClock(), authMode: AuthMode = .jwt) {
        self.idTags = idTags
        self.clock = clock
        self.authMode = authMode
    }

    /// The environment variables ``live(_:logger:)`` reads, for `--help`.
    public static let environmentVariables = [
        "AUTH_MODE", "DATA_API_URL", "DATA_API_KEY", "DATA_API_DATA_SOURCE", "DATA_API_DATABASE", "DATA_API_TIMEOUT_MS",
    ]

    /// The production composition: a ``DataAPIIdTagStore`` over libcurl, `AUTH_MODE`, the system clock.
    public static func live(_ env: FunctionEnvironment, logger: Logger) throws(FunctionRuntimeError) -> PutIdTagHandler
    {
        let client = DataAPIClient(
            configuration: try DataAPIConfiguration.fromEnvironment(env), transport: CurlHTTPClient(), logger: logger)
        return PutIdTagHandler(
            idTags: DataAPIIdTagStore(client: client, logger: logger), authMode: try AuthMode.fromEnvironment(env))
    }

    public func handle(_ request: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        try Caller.of(request, mode: authMode).requireOperator("manage idTags")
        let idTag = try Self.idTag(request)
        let record = try IdTagRequest.validate(
            try RequestBody.object(request.bodyBytes), idTag: idTag, now: clock.nowMilliseconds())
        let created = try await idTags.put(record)
        context.logger.info(
            created ? "idTag created" : "idTag replaced",
            metadata: ["idTag": "\(idTag)", "userId": "\(record.userId)", "status": "\(record.status.rawValue)"])
        return try .json(IdTagView(record), status: created ? 201 : 200)
    }

    /// The `{idTag}` path parameter (the last path segment, percent-decoded, for events without parameters).
    static func idTag(_ request: APIGatewayV2Request) throws(ChargingError) -> String {
        let raw =
            request.pathParameters?["idTag"]
            ?? request.rawPath.split(separator: "/", omittingEmptySubsequences: false).last.flatMap(percentDecoded)
        guard let raw, IdTagRequest.isValidIdTag(raw) else {
            throw ChargingError.invalid("idTag", "must be 1-20 printable ASCII characters")
        }
        return raw
    }

    /// `text` with `%XX` escapes decoded; nil for a broken escape or bytes that are not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var input = Array(text.utf8)[...]
        while let byte = input.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard input.count >= 2, let value = UInt8(String(decoding: input.prefix(2), as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(value)
            input = input.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// The body of `PUT /idtags/{idTag}`.
enum IdTagRequest {
    /// OCPP CiString20: 1–20 characters, here printable ASCII (0x20…0x7E).
    static func isValidIdTag(_ text: String) -> Bool {
        (1...20).contains(text.utf8.count) && text.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// The record to store, or a 400 naming the first offending field.
    static func validate(_ body: Document, idTag: String, now: Int64) throws(ChargingError) -> IdTagRecord {
        guard let userId = body["userId"], !userId.isNull else { throw .invalid("userId", "is required") }
        guard let user = userId.stringValue, StartRequest.isValidID(user) else {
            throw .invalid("userId", "must be 1-\(StartRequest.maxIDLength) characters from A-Z a-z 0-9 . _ : -")
        }
        let stored: [IdTagStatus] = [.accepted, .blocked, .expired, .invalid]
        guard let status = body["status"], !status.isNull else { throw .invalid("status", "is required") }
        guard let text = status.stringValue, let value = stored.first(where: { $0.rawValue == text }) else {
            throw .invalid("status", "must be one of Accepted, Blocked, Expired, Invalid")
        }
        var expiryDate: Int64?
        // Left out = never expires; an explicit null is a 400, as everywhere in the REST API.
        if let expiry = try RequestFields(body, nullMeansAbsent: false).value("expiryDate") {
            guard let date = expiry.stringValue.flatMap(Timestamp.parseMilliseconds) else {
                throw .invalid("expiryDate", "must be an ISO-8601 date-time such as 2027-01-01T00:00:00Z")
            }
            expiryDate = date
        }
        return IdTagRecord(idTag: idTag, userId: user, status: value, expiryDate: expiryDate, updatedAt: now)
    }
}

/// An idTag as `PUT /idtags/{idTag}` answers it.
struct IdTagView: Encodable {
    let idTag: String
    let userId: String
    let status: String
    let expiryDate: String?
    let updatedAt: String

    init(_ record: IdTagRecord) {
        idTag = record.idTag
        userId = record.userId
        status = record.status.rawValue
        expiryDate = record.expiryDate.map { Timestamp.format(milliseconds: $0) }
        updatedAt = Timestamp.format(milliseconds: record.updatedAt)
    }

    enum CodingKeys: String, CodingKey { case idTag, userId, status, expiryDate, updatedAt }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(idTag, forKey: .idTag)
        try c.encode(userId, forKey: .userId)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(expiryDate, forKey: .expiryDate)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}
