extension APIGatewayV2Request {
    /// Reads an event the way its `Decodable` conformance does, directly (see ``JSONReader``). Nil when the
    /// reader is not sure about the input: decode it with ``JSONCoding/decoder`` then, for the value or the error.
    public init?(jsonBytes: [UInt8]) {
        guard let event = JSONReader.read(jsonBytes, { reader throws(JSONReader.Unsure) in try Self.read(&reader) })
        else { return nil }
        self = event
    }

    static func read(_ reader: inout JSONReader) throws(JSONReader.Unsure) -> APIGatewayV2Request {
        var version: String?
        var routeKey: String?
        var rawPath: String?
        var rawQueryString: String?
        var cookies: [String]?
        var headers: [String: String]?
        var query: [String: String]?
        var pathParameters: [String: String]?
        var stageVariables: [String: String]?
        var context: Context?
        var body: String?
        var isBase64Encoded: Bool?
        try reader.object { reader, key throws(JSONReader.Unsure) in
            switch key {
            case "version": version = try reader.optional { reader throws(JSONReader.Unsure) in try reader.string() }
            case "routeKey": routeKey = try reader.optional { reader throws(JSONReader.Unsure) in try reader.string() }
            case "rawPath": rawPath = try reader.optional { reader throws(JSONReader.Unsure) in try reader.string() }
            case "rawQueryString":
                rawQueryString = try reader.optional { reader throws(JSONReader.Unsure) in try reader.string() }
            case "cookies": cookies = try reader.optional { reader throws(JSONReader.Unsure) in try reader.strings() }
            case "headers": headers = try reader.optional { reader throws(JSONReader.Unsure) in try reader.stringMap() }
            case "queryStringParameters":
                query = try reader.optional { reader throws(JSONReader.Unsure) in try reader.stringMap() }
            case "pathParameters":
                pathParameters = try reader.optional { reader throws(JSONReader.Unsure) in try reader.stringMap() }
            case "stageVariables":
                stageVariables = try reader.optional { reader throws(JSONReader.Unsure) in try reader.stringMap() }
            case "requestContext": context = try Context.read(&reader)
            case "body": body = try reader.optional { reader throws(JSONReader.Unsure) in try reader.string() }
            case "isBase64Encoded":
                isBase64Encoded = try reader.optional { reader throws(JSONReader.Unsure) in try reader.bool() }
            default: try reader.skipValue()
            }
        }
        guard let context else { throw JSONReader.Unsure() }
        var lowered: [String: String] = [:]
        for (name, value) in headers ?? [:] {
            let key = name.utf8.contains(where: { $0 &- UInt8(ascii: "A") < 26 }) ? name.lowercased() : name
            // Two names that differ only in case are joined in no defined order by the decoder: left to it.
            guard lowered.updateValue(value, forKey: key) == nil else { throw JSONReader.Unsure() }
        }
        return APIGatewayV2Request(
            version: version ?? "2.0", routeKey: routeKey ?? "$default", rawPath: rawPath ?? "/",
            rawQueryString: rawQueryString ?? "", cookies: cookies, headers: lowered, queryStringParameters: query,
            pathParameters: pathParameters, stageVariables: stageVariables, requestContext: context, body: body,
            isBase64Encoded: isBase64Encoded ?? false)
    }
}

extension APIGatewayV2Request.Context {
    static func read(_ reader: inout JSONReader) throws(JSONReader.Unsure) -> Self {
        var fields: [String: String] = [:]
        var http: HTTP?
        var requestId: String?
        var timeEpoch: Int64?
        var authorizer: Authorizer?
        try reader.object { reader, key throws(JSONReader.Unsure) in
            switch key {
            case "accountId", "apiId", "domainName", "routeKey", "stage", "time":
                if let value = try reader.optional({ reader throws(JSONReader.Unsure) in try reader.string() }) {
                    fields[key] = value
                }
            case "authorizer":
                authorizer = try reader.optional { reader throws(JSONReader.Unsure) in try Authorizer.read(&reader) }
            case "http": http = try HTTP.read(&reader)
            case "requestId": requestId = try reader.string()
            case "timeEpoch":
                timeEpoch = try reader.optional { reader throws(JSONReader.Unsure) in try reader.integer() }
            default: try reader.skipValue()
            }
        }
        guard let http, let requestId else { throw JSONReader.Unsure() }
        return Self(
            accountId: fields["accountId"], apiId: fields["apiId"], authorizer: authorizer,
            domainName: fields["domainName"], http: http, requestId: requestId, routeKey: fields["routeKey"],
            stage: fields["stage"], time: fields["time"], timeEpoch: timeEpoch)
    }
}

extension APIGatewayV2Request.Context.Authorizer {
    static func read(_ reader: inout JSONReader) throws(JSONReader.Unsure) -> Self {
        var jwt: JWT?
        try reader.object { reader, key throws(JSONReader.Unsure) in
            switch key {
            case "jwt": jwt = try reader.optional { reader throws(JSONReader.Unsure) in try JWT.read(&reader) }
            default: try reader.skipValue()
            }
        }
        return Self(jwt: jwt)
    }
}

extension APIGatewayV2Request.Context.Authorizer.JWT {
    static func read(_ reader: inout JSONReader) throws(JSONReader.Unsure) -> Self {
        var claims: [String: String]?
        var scopes: [String]?
        try reader.object { reader, key throws(JSONReader.Unsure) in
            switch key {
            case "claims": claims = try reader.stringMap()
            case "scopes": scopes = try reader.optional { reader throws(JSONReader.Unsure) in try reader.strings() }
            default: try reader.skipValue()
            }
        }
        guard let claims else { throw JSONReader.Unsure() }
        return Self(claims: claims, scopes: scopes)
    }
}

extension APIGatewayV2Request.Context.HTTP {
    static func read(_ reader: inout JSONReader) throws(JSONReader.Unsure) -> Self {
        var method: String?
        var path: String?
        var fields: [String: String] = [:]
        try reader.object { reader, key throws(JSONReader.Unsure) in
            switch key {
            case "method": method = try reader.string()
            case "path": path = try reader.string()
            case "protocol", "sourceIp", "userAgent":
                if let value = try reader.optional({ reader throws(JSONReader.Unsure) in try reader.string() }) {
                    fields[key] = value
                }
            default: try reader.skipValue()
            }
        }
        guard let method, let path else { throw JSONReader.Unsure() }
        return Self(
            method: method, path: path, protocol: fields["protocol"], sourceIp: fields["sourceIp"],
            userAgent: fields["userAgent"])
    }
}

extension APIGatewayV2Response {
    /// What HTTP API payload format 2.0 makes of a function's output, as far as the direct reader is sure of it.
    public enum OutputReading: Sendable, Equatable {
        /// An object with `statusCode`: this response.
        case response(APIGatewayV2Response)
        /// A JSON object without `statusCode`: the whole output is the body of a 200 `application/json` answer.
        case body
        /// Not vouched for (not an object, a syntax error, an unexpected type): decode with ``JSONCoding/decoder``.
        case unsure
    }

    /// Reads a function's output once: a response object the way its `Decodable` conformance reads it, or a JSON
    /// object that format 2.0 takes as the body itself (checked, not kept).
    public static func reading(output: [UInt8]) -> OutputReading {
        let reading = JSONReader.read(output) { reader throws(JSONReader.Unsure) -> OutputReading in
            var statusCode: Int64?
            var headers: [String: String]?
            var body: String?
            var isBase64Encoded: Bool?
            var cookies: [String]?
            try reader.object { reader, key throws(JSONReader.Unsure) in
                switch key {
                case "statusCode": statusCode = try reader.integer()
                case "headers":
                    headers = try reader.optional { reader throws(JSONReader.Unsure) in try reader.stringMap() }
                case "body": body = try reader.optional { reader throws(JSONReader.Unsure) in try reader.string() }
                case "isBase64Encoded":
                    isBase64Encoded = try reader.optional { reader throws(JSONReader.Unsure) in try reader.bool() }
                case "cookies":
                    cookies = try reader.optional { reader throws(JSONReader.Unsure) in try reader.strings() }
                default: try reader.skipValue()
                }
            }
            guard let statusCode else { return .body }
            guard let status = Int(exactly: statusCode) else { throw JSONReader.Unsure() }
            return .response(
                APIGatewayV2Response(
                    statusCode: status, headers: headers ?? [:], body: body ?? "",
                    isBase64Encoded: isBase64Encoded ?? false, cookies: cookies ?? []))
        }
        return reading ?? .unsure
    }

    /// Reads a response object the way its `Decodable` conformance does, directly (see ``JSONReader``). Nil when
    /// the input is anything else or the reader is not sure: decode it with ``JSONCoding/decoder`` then.
    public init?(jsonBytes: [UInt8]) {
        guard case .response(let response) = Self.reading(output: jsonBytes) else { return nil }
        self = response
    }
}
