#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The event an Amazon SQS event source mapping delivers to a function: a batch of up to `BatchSize`
/// messages, `{"Records": [...]}`.
public struct SQSEvent: Codable, Sendable, Equatable {
    /// The messages of the batch, in the order the event source mapping received them.
    public var records: [SQSMessage]

    public init(records: [SQSMessage]) { self.records = records }

    enum CodingKeys: String, CodingKey { case records = "Records" }
}

/// One message of an ``SQSEvent``.
///
/// Decoding needs `messageId` and `body`; every other field AWS sends is kept when present (and defaults to
/// empty), so an event round-trips unchanged.
public struct SQSMessage: Codable, Sendable, Equatable {
    /// The id the function names in ``SQSBatchResponse`` to have this message retried.
    public var messageId: String
    public var receiptHandle: String
    /// The message body as sent (for an AWS IoT rule's SQS action with `useBase64: false`, the rule's SELECT
    /// result as JSON text).
    public var body: String
    /// System attributes: `ApproximateReceiveCount`, `SentTimestamp`, `SenderId`,
    /// `ApproximateFirstReceiveTimestamp` (and `MessageGroupId`, `SequenceNumber`, ... on FIFO queues).
    public var attributes: [String: String]
    public var messageAttributes: [String: SQSMessageAttribute]
    /// Hex MD5 of the body's UTF-8 bytes.
    public var md5OfBody: String
    /// Hex MD5 of the message attributes; only present when there are some.
    public var md5OfMessageAttributes: String?
    /// `aws:sqs`.
    public var eventSource: String
    /// The queue's ARN.
    public var eventSourceARN: String
    public var awsRegion: String

    public init(
        messageId: String, receiptHandle: String = "", body: String, attributes: [String: String] = [:],
        messageAttributes: [String: SQSMessageAttribute] = [:], md5OfBody: String = "",
        md5OfMessageAttributes: String? = nil, eventSource: String = "aws:sqs", eventSourceARN: String = "",
        awsRegion: String = ""
    ) {
        self.messageId = messageId
        self.receiptHandle = receiptHandle
        self.body = body
        self.attributes = attributes
        self.messageAttributes = messageAttributes
        self.md5OfBody = md5OfBody
        self.md5OfMessageAttributes = md5OfMessageAttributes
        self.eventSource = eventSource
        self.eventSourceARN = eventSourceARN
        self.awsRegion = awsRegion
    }

    enum CodingKeys: String, CodingKey {
        case messageId, receiptHandle, body, attributes, messageAttributes, md5OfBody, md5OfMessageAttributes
        case eventSource, eventSourceARN, awsRegion
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        messageId = try c.decode(String.self, forKey: .messageId)
        body = try c.decode(String.self, forKey: .body)
        receiptHandle = try c.decodeIfPresent(String.self, forKey: .receiptHandle) ?? ""
        attributes = try c.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
        messageAttributes =
            try c.decodeIfPresent([String: SQSMessageAttribute].self, forKey: .messageAttributes) ?? [:]
        md5OfBody = try c.decodeIfPresent(String.self, forKey: .md5OfBody) ?? ""
        md5OfMessageAttributes = try c.decodeIfPresent(String.self, forKey: .md5OfMessageAttributes)
        eventSource = try c.decodeIfPresent(String.self, forKey: .eventSource) ?? ""
        eventSourceARN = try c.decodeIfPresent(String.self, forKey: .eventSourceARN) ?? ""
        awsRegion = try c.decodeIfPresent(String.self, forKey: .awsRegion) ?? ""
    }

    /// `ApproximateReceiveCount`: how many times the queue has handed this message out, this time included.
    public var receiveCount: Int? { attributes["ApproximateReceiveCount"].flatMap { Int($0) } }

    /// `SentTimestamp`: when the message was sent to the queue, milliseconds since the epoch.
    public var sentTimestamp: Int64? { attributes["SentTimestamp"].flatMap { Int64($0) } }
}

/// A message attribute of an ``SQSMessage`` (as the event carries it: binary values are base64 text).
public struct SQSMessageAttribute: Codable, Sendable, Equatable {
    public var stringValue: String?
    public var binaryValue: String?
    public var stringListValues: [String]
    public var binaryListValues: [String]
    /// `String`, `Number`, `Binary`, optionally with a custom suffix (`Number.float`).
    public var dataType: String

    public init(
        stringValue: String? = nil, binaryValue: String? = nil, stringListValues: [String] = [],
        binaryListValues: [String] = [], dataType: String
    ) {
        self.stringValue = stringValue
        self.binaryValue = binaryValue
        self.stringListValues = stringListValues
        self.binaryListValues = binaryListValues
        self.dataType = dataType
    }

    enum CodingKeys: String, CodingKey { case stringValue, binaryValue, stringListValues, binaryListValues, dataType }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stringValue = try c.decodeIfPresent(String.self, forKey: .stringValue)
        binaryValue = try c.decodeIfPresent(String.self, forKey: .binaryValue)
        stringListValues = try c.decodeIfPresent([String].self, forKey: .stringListValues) ?? []
        binaryListValues = try c.decodeIfPresent([String].self, forKey: .binaryListValues) ?? []
        dataType = try c.decode(String.self, forKey: .dataType)
    }
}

/// What a function with `FunctionResponseTypes: [ReportBatchItemFailures]` answers: the messages to retry.
/// Every message not listed is deleted from the queue; an empty list means the whole batch succeeded.
public struct SQSBatchResponse: Codable, Sendable, Equatable {
    /// One message to retry.
    public struct ItemFailure: Codable, Sendable, Equatable, Hashable {
        /// The ``SQSMessage/messageId``.
        public var itemIdentifier: String

        public init(itemIdentifier: String) { self.itemIdentifier = itemIdentifier }
    }

    public var batchItemFailures: [ItemFailure]

    public init(batchItemFailures: [ItemFailure] = []) { self.batchItemFailures = batchItemFailures }

    /// A response naming these message ids.
    public init(failedMessageIDs: [String]) {
        self.init(batchItemFailures: failedMessageIDs.map(ItemFailure.init(itemIdentifier:)))
    }

    enum CodingKeys: String, CodingKey { case batchItemFailures }

    /// Lambda accepts `null`, `{}` and `{"batchItemFailures": null}` as "no failures".
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), single.decodeNil() {
            batchItemFailures = []
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchItemFailures = try c.decodeIfPresent([ItemFailure].self, forKey: .batchItemFailures) ?? []
    }
}

/// A handler of an SQS queue behind a Lambda event source mapping with `ReportBatchItemFailures`
/// (Event = ``SQSEvent``, Output = ``SQSBatchResponse``).
///
/// Messages the handler can never process (malformed) are logged and left out of the response, so they are
/// deleted; only messages whose processing failed and may succeed later are listed. Throwing fails the whole
/// batch: every message comes back after the queue's visibility timeout (see ``QueueFunctionAdapter``).
public protocol QueueFunction: FunctionHandler where Event == SQSEvent, Output == SQSBatchResponse {}
