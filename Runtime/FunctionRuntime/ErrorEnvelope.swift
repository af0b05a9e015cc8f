import Essentials

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The body of every evcsm HTTP error: `{"error": …, "message": …, "timestamp": …}`.
public struct ErrorEnvelope: Codable, Sendable, Equatable {
    /// A short error name, e.g. `ValidationError`, `NotFound`, `InternalServerError`.
    public var error: String
    /// A message safe to show to the caller.
    public var message: String
    /// When the error happened, ISO-8601 UTC (``Timestamp`` format).
    public var timestamp: String

    public init(error: String, message: String, timestamp: String) {
        self.error = error
        self.message = message
        self.timestamp = timestamp
    }

    /// An envelope stamped with `now`.
    public init(error: String, message: String, now: Date = Date()) {
        self.init(error: error, message: message, timestamp: Timestamp.format(now))
    }
}

extension APIGatewayV2Response {
    /// A JSON error response with the standard envelope and `content-type: application/json`.
    public static func error(status: Int, error: String, message: String, now: Date = Date()) -> APIGatewayV2Response {
        let envelope = ErrorEnvelope(error: error, message: message, now: now)
        let body: String
        if let data = try? JSONCoding.encoder.encode(envelope) {
            body = String(decoding: data, as: UTF8.self)
        } else {
            body =
                #"{"error":"InternalServerError","message":"Internal server error","timestamp":""#
                + envelope.timestamp + #""}"#
        }
        return APIGatewayV2Response(statusCode: status, headers: ["content-type": "application/json"], body: body)
    }

    /// The error response for a domain error: its status, name and public message.
    public static func error(_ error: any HTTPErrorConvertible, now: Date = Date()) -> APIGatewayV2Response {
        .error(status: error.httpStatus, error: error.errorName, message: error.publicMessage, now: now)
    }

    /// The generic 500 answer for an unexpected error; the details stay in the log.
    public static func internalServerError(requestID: String, now: Date = Date()) -> APIGatewayV2Response {
        .error(
            status: 500, error: "InternalServerError", message: "Internal server error (request \(requestID))",
            now: now)
    }
}
