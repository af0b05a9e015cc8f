import Essentials

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A BSON value, limited to the types evcsm stores and the Data API carries.
///
/// Scalars are stored inline (no allocation per value); only a document is boxed, which keeps the value at
/// 16 bytes and a tag (arrays and documents hold their elements in their own buffers already).
public enum BSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int32(Int32)
    case int64(Int64)
    case double(Double)
    case string(String)
    /// A BSON date: milliseconds since the epoch.
    case datetime(Int64)
    case objectId(ObjectId)
    indirect case document(Document)
    case array([BSONValue])

    /// The string, nil for other types.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The boolean, nil for other types.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The document, nil for other types.
    public var documentValue: Document? {
        if case .document(let d) = self { return d }
        return nil
    }

    /// The array, nil for other types.
    public var arrayValue: [BSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The ObjectId, nil for other types.
    public var objectIdValue: ObjectId? {
        if case .objectId(let o) = self { return o }
        return nil
    }

    /// Milliseconds since the epoch of a BSON date.
    public var datetimeValue: Int64? {
        if case .datetime(let ms) = self { return ms }
        return nil
    }

    /// An integer: int32, int64, or a double with an integral value in Int64's range.
    public var int64Value: Int64? {
        switch self {
        case .int32(let v): return Int64(v)
        case .int64(let v): return v
        case .double(let d):
            guard d.rounded() == d, d >= -9.2e18, d <= 9.2e18 else { return nil }
            return Int64(d)
        default: return nil
        }
    }

    /// Any number as a Double.
    public var doubleValue: Double? {
        switch self {
        case .int32(let v): return Double(v)
        case .int64(let v): return Double(v)
        case .double(let d): return d
        default: return nil
        }
    }

    /// Whether the value is an int32, int64 or double.
    public var isNumber: Bool {
        switch self {
        case .int32, .int64, .double: return true
        default: return false
        }
    }

    /// Whether the value is BSON null.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Moves a document out of the value, leaving `.null`; nil (and the value unchanged) for other types.
    ///
    /// Change the document and put it back to edit a nested document in place: matching
    /// `case .document(var d)` instead keeps the value's reference alive, and the first change copies.
    public mutating func takeDocument() -> Document? {
        guard case .document(let document) = self else { return nil }
        self = .null
        return document
    }

    /// Moves an array out of the value, leaving `.null`; nil (and the value unchanged) for other types.
    public mutating func takeArray() -> [BSONValue]? {
        guard case .array(let items) = self else { return nil }
        self = .null
        return items
    }

    /// The smallest integer type that holds `value` (int32 when it fits, int64 otherwise).
    public static func integer(_ value: Int64) -> BSONValue {
        if let small = Int32(exactly: value) { return .int32(small) }
        return .int64(value)
    }

    /// A BSON date from a `Date` (millisecond precision).
    public static func date(_ date: Date) -> BSONValue {
        .datetime(Timestamp.milliseconds(date))
    }
}

extension BSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: BSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, BSONValue)...) { self = .document(Document(elements)) }
}
