/// The event AWS IoT Core sends a custom authorizer's Lambda function (fields that do not apply to a connection are
/// absent): `{token?, signatureVerified, protocols, protocolData: {tls?, http?, mqtt?: {username, password (base64),
/// clientId?}}, connectionMetadata: {id}}`.
public struct IoTCustomAuthorizerEvent: Codable, Sendable, Equatable {
    /// The MQTT CONNECT credentials.
    public struct MQTT: Codable, Sendable, Equatable {
        public var username: String?
        /// The password bytes, base64-encoded.
        public var password: String?
        /// Present only when the device sent one.
        public var clientId: String?

        public init(username: String? = nil, password: String? = nil, clientId: String? = nil) {
            self.username = username
            self.password = password
            self.clientId = clientId
        }
    }

    /// The TLS server name (SNI).
    public struct TLS: Codable, Sendable, Equatable {
        public var serverName: String?
    }

    /// The HTTP headers and query string of an HTTP or WebSocket connection.
    public struct HTTP: Codable, Sendable, Equatable {
        public var headers: [String: String]?
        public var queryString: String?
    }

    /// What each protocol carried.
    public struct ProtocolData: Codable, Sendable, Equatable {
        public var tls: TLS?
        public var http: HTTP?
        public var mqtt: MQTT?
    }

    /// The connection's id, for logs.
    public struct ConnectionMetadata: Codable, Sendable, Equatable {
        public var id: String?
    }

    public var token: String?
    public var signatureVerified: Bool?
    public var protocols: [String]?
    public var protocolData: ProtocolData?
    public var connectionMetadata: ConnectionMetadata?
}

/// A custom authorizer's answer: `{isAuthenticated, principalId, disconnectAfterInSeconds, refreshAfterInSeconds,
/// policyDocuments: ["<policy JSON text>"]}`.
public struct IoTCustomAuthorizerResponse: Codable, Sendable, Equatable {
    public var isAuthenticated: Bool
    /// `[a-zA-Z0-9]{1,128}`.
    public var principalId: String
    /// 300…86,400.
    public var disconnectAfterInSeconds: Int
    /// 300…86,400.
    public var refreshAfterInSeconds: Int
    /// IoT policy documents, each as JSON text.
    public var policyDocuments: [String]
}

/// An AWS IoT Core policy document with `Allow` statements of one action on one resource each.
struct IoTPolicy: Encodable {
    struct Statement: Encodable {
        let action: String
        let resource: String

        enum CodingKeys: String, CodingKey {
            case effect = "Effect", action = "Action", resource = "Resource"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("Allow", forKey: .effect)
            try container.encode(action, forKey: .action)
            try container.encode(resource, forKey: .resource)
        }
    }

    let statements: [Statement]

    enum CodingKeys: String, CodingKey {
        case version = "Version", statement = "Statement"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("2012-10-17", forKey: .version)
        try container.encode(statements, forKey: .statement)
    }
}
