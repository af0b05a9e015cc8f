#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One function's business logic: takes a decoded event, returns an encodable output.
///
/// Shaped after swift-aws-lambda-runtime's `LambdaHandler`. JSON coding, error mapping and the
/// Runtime API loop are layered on top by ``FunctionMain`` instead of being baked into the protocol.
///
/// Functions conform to one refinement, which picks their adapter (``makeInvocationAdapter(for:)``):
/// ``HTTPFunction``, ``TopicFunction``, ``QueueFunction`` (SQS batches) ``ScheduledFunction`` (EventBridge
/// schedules) or ``WebSocketFunction`` (API Gateway WebSocket routes).
public protocol FunctionHandler: Sendable {
    associatedtype Event: Decodable & Sendable
    associatedtype Output: Encodable & Sendable

    /// Handles one invocation.
    func handle(_ event: Event, context: FunctionContext) async throws -> Output
}

/// An HTTP endpoint behind API Gateway (HTTP API, payload format 2.0).
///
/// Handlers throw errors conforming to ``HTTPErrorConvertible`` for 4xx answers; anything else
/// becomes a logged 500 with a generic envelope (see ``HTTPFunctionAdapter``).
public protocol HTTPFunction: FunctionHandler where Event == APIGatewayV2Request, Output == APIGatewayV2Response {}

/// An MQTT topic handler behind an AWS IoT rule (`SELECT encode(*, 'base64') AS data, topic() AS topic,
/// timestamp() AS ts FROM '<filter>'`). Returns nothing; a thrown error is reported to the
/// Runtime API's `/error` route so the platform retries.
public protocol TopicFunction: FunctionHandler where Event == TopicMessage, Output == NoOutput {}

/// The empty output of a topic function (encodes as `null`).
public struct NoOutput: Codable, Sendable, Equatable {
    public init() {}
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encodeNil()
    }
}
