import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What an adapter made of one invocation: the JSON to send back, and whether it counts as a failure
/// for the `--event` command line (an HTTP 5xx answer).
public struct InvocationOutput: Sendable, Equatable {
    /// The output JSON.
    public var body: [UInt8]
    /// True for an HTTP answer with a 5xx status.
    public var isServerError: Bool

    public init(body: [UInt8], isServerError: Bool = false) {
        self.body = body
        self.isServerError = isServerError
    }
}

/// Event bytes in, output bytes out: the JSON layer between the Runtime API loop and a typed handler
/// (like swift-aws-lambda-runtime's `LambdaCodableAdapter`). A thrown error is reported to `/error`.
public protocol InvocationAdapter: Sendable {
    /// Decodes the event, runs the handler, encodes its output.
    func invoke(_ event: [UInt8], context: FunctionContext) async throws -> InvocationOutput
}

/// The plain JSON adapter for any ``FunctionHandler`` (topic functions use it: their errors go to `/error`
/// so the platform retries).
public struct JSONFunctionAdapter<Handler: FunctionHandler>: InvocationAdapter {
    public let handler: Handler

    public init(_ handler: Handler) { self.handler = handler }

    public func invoke(_ event: [UInt8], context: FunctionContext) async throws -> InvocationOutput {
        let decoded = try decodeEvent(Handler.Event.self, from: event)
        let output = try await handler.handle(decoded, context: context)
        return InvocationOutput(body: try encodeOutput(output))
    }
}

/// The adapter for ``HTTPFunction``s: they always answer with an ``APIGatewayV2Response``.
///
/// An ``HTTPErrorConvertible`` error becomes its status with the `{error, message, timestamp}` envelope;
/// any other error becomes a 500 envelope naming only the request id, while the error itself is logged
/// with the request id (internals never reach the caller).
public struct HTTPFunctionAdapter<Handler: HTTPFunction>: InvocationAdapter {
    public let handler: Handler

    public init(_ handler: Handler) { self.handler = handler }

    public func invoke(_ event: [UInt8], context: FunctionContext) async throws -> InvocationOutput {
        let request: APIGatewayV2Request
        if let read = APIGatewayV2Request(jsonBytes: event) {
            request = read
        } else {
            request = try decodeEvent(APIGatewayV2Request.self, from: event)
        }
        let response = await respond(to: request, context: context)
        return InvocationOutput(body: response.outputBytes(), isServerError: response.statusCode >= 500)
    }

    /// Runs the handler and maps its errors to responses.
    public func respond(to request: APIGatewayV2Request, context: FunctionContext) async -> APIGatewayV2Response {
        do {
            return try await handler.handle(request, context: context)
        } catch let error as any HTTPErrorConvertible {
            if error.httpStatus >= 500 {
                context.logger.error(
                    "request failed",
                    metadata: ["status": "\(error.httpStatus)", "error": "\(String(reflecting: error))"])
            } else {
                context.logger.info(
                    "request rejected", metadata: ["status": "\(error.httpStatus)", "error": "\(error.errorName)"])
            }
            return .error(error)
        } catch {
            context.logger.error(
                "unexpected error", metadata: ["error": "\(String(reflecting: error))", "route": "\(request.routeKey)"])
            return .internalServerError(requestID: context.requestID)
        }
    }
}

/// The adapter a handler runs with, by the protocol it conforms to: ``HTTPFunctionAdapter`` for ``HTTPFunction``s,
/// ``QueueFunctionAdapter`` for ``QueueFunction``s, ``ScheduledFunctionAdapter`` for ``ScheduledFunction``s,
/// ``WebSocketFunctionAdapter`` for ``WebSocketFunction``s, otherwise (topic functions) ``JSONFunctionAdapter``.
public func makeInvocationAdapter<Handler: FunctionHandler>(for handler: Handler) -> any InvocationAdapter {
    if let http = handler as? any HTTPFunction {
        return makeHTTPAdapter(http)
    }
    if let queue = handler as? any QueueFunction {
        return makeQueueAdapter(queue)
    }
    if let scheduled = handler as? any ScheduledFunction {
        return makeScheduledAdapter(scheduled)
    }
    if let webSocket = handler as? any WebSocketFunction {
        return makeWebSocketAdapter(webSocket)
    }
    return JSONFunctionAdapter(handler)
}

private func makeHTTPAdapter<Handler: HTTPFunction>(_ handler: Handler) -> any InvocationAdapter {
    HTTPFunctionAdapter(handler)
}

func decodeEvent<Event: Decodable>(_ type: Event.Type, from bytes: [UInt8]) throws(FunctionRuntimeError) -> Event {
    do {
        return try JSONCoding.decoder.decode(Event.self, from: Data(bytes))
    } catch {
        throw FunctionRuntimeError(.invalidEvent, "cannot decode \(Event.self): \(describe(error))")
    }
}

func encodeOutput<Output: Encodable>(_ output: Output) throws(FunctionRuntimeError) -> [UInt8] {
    do {
        return Array(try JSONCoding.encoder.encode(output))
    } catch {
        throw FunctionRuntimeError(.invalidOutput, "cannot encode \(Output.self): \(error)")
    }
}

/// A short description of a decoding error: what was wrong and where.
func describe(_ error: any Error) -> String {
    guard let decodingError = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return keys.isEmpty ? "top level" : keys.joined(separator: ".")
    }
    switch decodingError {
    case .keyNotFound(let key, let context):
        return "missing key \(key.stringValue) at \(path(context))"
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        return "\(context.debugDescription) at \(path(context))"
    @unknown default:
        return "\(decodingError)"
    }
}
