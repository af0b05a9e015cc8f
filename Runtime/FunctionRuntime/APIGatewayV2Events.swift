#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An API Gateway HTTP API request, payload format version 2.0.
public struct APIGatewayV2Request: Codable, Sendable, Equatable {
    /// `requestContext` of the v2 payload (only the fields evcsm reads or forwards).
    public struct Context: Codable, Sendable, Equatable {
        public struct HTTP: Codable, Sendable, Equatable {
            public var method: String
            public var path: String
            public var `protocol`: String?
            public var sourceIp: String?
            public var userAgent: String?

            public init(
                method: String, path: String, protocol: String? = "HTTP/1.1", sourceIp: String? = nil,
                userAgent: String? = nil
            ) {
                self.method = method
                self.path = path
                self.protocol = `protocol`
                self.sourceIp = sourceIp
                self.userAgent = userAgent
            }
        }
        /// `requestContext.authorizer` as the HTTP API's JWT authorizer fills it (nil on unprotected routes).
        public struct Authorizer: Codable, Sendable, Equatable {
            /// The verified token's claims and scopes.
            public struct JWT: Codable, Sendable, Equatable {
                /// Every claim as API Gateway hands it on: strings as they are, numbers as their text
                /// (`"exp": "1764590000"`), arrays as `"[a b]"`.
                public var claims: [String: String]
                /// The token's `scope` (or `scp`) claim split on spaces; nil when it has none.
                public var scopes: [String]?

                public init(claims: [String: String], scopes: [String]? = nil) {
                    self.claims = claims
                    self.scopes = scopes
                }
            }
            public var jwt: JWT?

            public init(jwt: JWT? = nil) { self.jwt = jwt }
        }
        public var accountId: String?
        public var apiId: String?
        public var authorizer: Authorizer?
        public var domainName: String?
        public var http: HTTP
        public var requestId: String
        public var routeKey: String?
        public var stage: String?
        public var time: String?
        public var timeEpoch: Int64?

        public init(
            accountId: String? = nil, apiId: String? = nil, authorizer: Authorizer? = nil, domainName: String? = nil,
            http: HTTP, requestId: String, routeKey: String? = nil, stage: String? = "$default", time: String? = nil,
            timeEpoch: Int64? = nil
        ) {
            self.accountId = accountId
            self.apiId = apiId
            self.authorizer = authorizer
            self.domainName = domainName
            self.http = http
            self.requestId = requestId
            self.routeKey = routeKey
            self.stage = stage
            self.time = time
            self.timeEpoch = timeEpoch
        }
    }

    public var version: String
    public var routeKey: String
    public var rawPath: String
    public var rawQueryString: String
    public var cookies: [String]?
    /// Header names are lower-case; repeated headers are joined with commas, as API Gateway does.
    public var headers: [String: String]
    public var queryStringParameters: [String: String]?
    public var pathParameters: [String: String]?
    public var stageVariables: [String: String]?
    public var requestContext: Context
    public var body: String?
    public var isBase64Encoded: Bool

    public init(
        version: String = "2.0", routeKey: String, rawPath: String, rawQueryString: String = "",
        cookies: [String]? = nil, headers: [String: String] = [:], queryStringParameters: [String: String]? = nil,
        pathParameters: [String: String]? = nil, stageVariables: [String: String]? = nil,
        requestContext: Context, body: String? = nil, isBase64Encoded: Bool = false
    ) {
        self.version = version
        self.routeKey = routeKey
        self.rawPath = rawPath
        self.rawQueryString = rawQueryString
        self.cookies = cookies
        self.headers = headers
        self.queryStringParameters = queryStringParameters
        self.pathParameters = pathParameters
        self.stageVariables = stageVariables
        self.requestContext = requestContext
        self.body = body
        self.isBase64Encoded = isBase64Encoded
    }

    enum CodingKeys: String, CodingKey {
        case version, routeKey, rawPath, rawQueryString, cookies, headers, queryStringParameters, pathParameters
        case stageVariables, requestContext, body, isBase64Encoded
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? "2.0"
        routeKey = try c.decodeIfPresent(String.self, forKey: .routeKey) ?? "$default"
        rawPath = try c.decodeIfPresent(String.self, forKey: .rawPath) ?? "/"
        rawQueryString = try c.decodeIfPresent(String.self, forKey: .rawQueryString) ?? ""
        cookies = try c.decodeIfPresent([String].self, forKey: .cookies)
        let rawHeaders = try c.decodeIfPresent([String: String].self, forKey: .headers) ?? [:]
        headers = Dictionary(rawHeaders.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { "\($0),\($1)" })
        queryStringParameters = try c.decodeIfPresent([String: String].self, forKey: .queryStringParameters)
        pathParameters = try c.decodeIfPresent([String: String].self, forKey: .pathParameters)
        stageVariables = try c.decodeIfPresent([String: String].self, forKey: .stageVariables)
        requestContext = try c.decode(Context.self, forKey: .requestContext)
        body = try c.decodeIfPresent(String.self, forKey: .body)
        isBase64Encoded = try c.decodeIfPresent(Bool.self, forKey: .isBase64Encoded) ?? false
    }

    /// The HTTP method, upper-case.
    public var method: String { requestContext.http.method.uppercased() }

    /// A header value by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// A query parameter, or nil when absent.
    public func query(_ name: String) -> String? { queryStringParameters?[name] }

    /// The body bytes, base64-decoded when `isBase64Encoded` is set. Nil when there is no body
    /// or the base64 is invalid.
    public var bodyBytes: [UInt8]? {
        guard let body else { return nil }
        if isBase64Encoded {
            guard let data = Data(base64Encoded: body) else { return nil }
            return [UInt8](data)
        }
        return Array(body.utf8)
    }
}

/// An API Gateway HTTP API response, payload format version 2.0.
public struct APIGatewayV2Response: Codable, Sendable, Equatable {
    public var statusCode: Int
    public var headers: [String: String]
    /// The body as written: text, or (from ``json(_:status:)``) JSON already escaped as string content.
    var storedBody: ResponseBody
    public var isBase64Encoded: Bool
    public var cookies: [String]

    public init(
        statusCode: Int, headers: [String: String] = [:], body: String = "", isBase64Encoded: Bool = false,
        cookies: [String] = []
    ) {
        self.statusCode = statusCode
        self.headers = headers
        self.storedBody = .text(body)
        self.isBase64Encoded = isBase64Encoded
        self.cookies = cookies
    }

    /// The body text.
    public var body: String {
        get { storedBody.text }
        set { storedBody = .text(newValue) }
    }

    enum CodingKeys: String, CodingKey {
        case statusCode, headers, isBase64Encoded, cookies
        case storedBody = "body"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        statusCode = try c.decode(Int.self, forKey: .statusCode)
        headers = try c.decodeIfPresent([String: String].self, forKey: .headers) ?? [:]
        storedBody = .text(try c.decodeIfPresent(String.self, forKey: .storedBody) ?? "")
        isBase64Encoded = try c.decodeIfPresent(Bool.self, forKey: .isBase64Encoded) ?? false
        cookies = try c.decodeIfPresent([String].self, forKey: .cookies) ?? []
    }

    /// A JSON response with `content-type: application/json`.
    public static func json<T: Encodable>(_ value: T, status: Int = 200) throws -> APIGatewayV2Response {
        try encodedJSON(value, status: status)
    }

    /// ``json(_:status:)`` through ``JSONCoding/encoder``.
    static func encodedJSON<T: Encodable>(_ value: T, status: Int) throws -> APIGatewayV2Response {
        json(bytes: Array(try JSONCoding.encoder.encode(value)), status: status)
    }

    /// A response with `content-type: application/json` and `bytes` (JSON text) as its body.
    static func json(bytes: [UInt8], status: Int) -> APIGatewayV2Response {
        APIGatewayV2Response(
            statusCode: status, headers: ["content-type": "application/json"],
            body: String(decoding: bytes, as: UTF8.self))
    }
}

/// The event an AWS IoT rule delivers to a topic function:
/// `SELECT encode(*, 'base64') AS data, topic() AS topic, timestamp() AS ts FROM '<filter>'`.
public struct TopicMessage: Codable, Sendable, Equatable {
    /// The MQTT topic the message was published on.
    public var topic: String
    /// The raw payload bytes.
    public var payload: [UInt8]
    /// Milliseconds since the epoch at which the broker received the message.
    public var timestamp: Int64

    public init(topic: String, payload: [UInt8], timestamp: Int64) {
        self.topic = topic
        self.payload = payload
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey { case data, topic, ts }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        topic = try c.decode(String.self, forKey: .topic)
        timestamp = try c.decodeIfPresent(Int64.self, forKey: .ts) ?? 0
        let data = try c.decode(String.self, forKey: .data)
        guard let bytes = Data(base64Encoded: data) else {
            throw DecodingError.dataCorruptedError(forKey: .data, in: c, debugDescription: "data is not base64")
        }
        payload = [UInt8](bytes)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Data(payload).base64EncodedString(), forKey: .data)
        try c.encode(topic, forKey: .topic)
        try c.encode(timestamp, forKey: .ts)
    }
}

/// Shared JSON coders (sorted keys so outputs are stable for tests and diffs).
public enum JSONCoding {
    /// Sorted keys, `/` unescaped; made once (encoders are thread-safe and cost an allocation each).
    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()
    /// The shared decoder.
    public static let decoder = JSONDecoder()
}
