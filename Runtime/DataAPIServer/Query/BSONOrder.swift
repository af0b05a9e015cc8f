import BSON

/// MongoDB's comparison order for the BSON types evcsm stores: null < numbers < strings < objects <
/// arrays < ObjectId < booleans < dates. Numbers compare by value across int32, int64 and double;
/// strings compare by their UTF-8 bytes (MongoDB's default "simple" collation).
enum BSONOrder {
    /// The position of a value's type in MongoDB's comparison order; a missing field sorts like null.
    static func typeRank(_ value: BSONValue?) -> Int {
        switch value {
        case nil, .null?: return 1
        case .int32?, .int64?, .double?: return 2
        case .string?: return 3
        case .document?: return 4
        case .array?: return 5
        case .objectId?: return 7
        case .bool?: return 8
        case .datetime?: return 9
        }
    }

    /// Three-way comparison: negative, zero or positive.
    static func compare(_ lhs: BSONValue?, _ rhs: BSONValue?) -> Int {
        let (lr, rr) = (typeRank(lhs), typeRank(rhs))
        if lr != rr { return lr < rr ? -1 : 1 }
        guard let lhs, let rhs else { return 0 }
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)):
            // Bytes, not Swift's `==` (canonical equivalence): "é" and "e\u{301}" are different strings
            // to MongoDB, and to SQLite's BINARY collation, which the SQLite backend's indexes order by.
            if a.utf8.elementsEqual(b.utf8) { return 0 }
            return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
        case (.document(let a), .document(let b)):
            return compareDocuments(a, b)
        case (.array(let a), .array(let b)):
            for (x, y) in zip(a, b) {
                let c = compare(x, y)
                if c != 0 { return c }
            }
            return sign(a.count - b.count)
        case (.objectId(let a), .objectId(let b)):
            return a == b ? 0 : (a < b ? -1 : 1)
        case (.bool(let a), .bool(let b)):
            return a == b ? 0 : (!a ? -1 : 1)
        case (.datetime(let a), .datetime(let b)):
            return a == b ? 0 : (a < b ? -1 : 1)
        case (.null, .null):
            return 0
        default:
            return compareNumbers(lhs, rhs)
        }
    }

    /// MongoDB equality: numeric across number types, ordered field-by-field for documents.
    static func equal(_ lhs: BSONValue?, _ rhs: BSONValue?) -> Bool { compare(lhs, rhs) == 0 }

    private static func compareDocuments(_ a: Document, _ b: Document) -> Int {
        var left = a.makeIterator()
        var right = b.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let l?, let r?):
                let typeOrder = sign(typeRank(l.value) - typeRank(r.value))
                if typeOrder != 0 { return typeOrder }
                if l.key != r.key { return l.key.utf8.lexicographicallyPrecedes(r.key.utf8) ? -1 : 1 }
                let c = compare(l.value, r.value)
                if c != 0 { return c }
            }
        }
    }

    /// Numbers by value, exactly across types (an int64 past 2^53 is not rounded to a double); NaN is
    /// below every other number and equal to itself, -0.0 equals 0.
    private static func compareNumbers(_ lhs: BSONValue, _ rhs: BSONValue) -> Int {
        switch (integerValue(lhs), integerValue(rhs)) {
        case (let a?, let b?): return a == b ? 0 : (a < b ? -1 : 1)
        case (let a?, nil): return -compareExact(rhs.doubleValue ?? 0, a)
        case (nil, let b?): return compareExact(lhs.doubleValue ?? 0, b)
        case (nil, nil):
            let (a, b) = (lhs.doubleValue ?? 0, rhs.doubleValue ?? 0)
            if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : (a.isNaN ? -1 : 1) }
            return a == b ? 0 : (a < b ? -1 : 1)
        }
    }

    private static func integerValue(_ value: BSONValue) -> Int64? {
        switch value {
        case .int32(let v): return Int64(v)
        case .int64(let v): return v
        default: return nil
        }
    }

    /// A double against an integer, exactly.
    private static func compareExact(_ d: Double, _ i: Int64) -> Int {
        if d.isNaN { return -1 }
        // 2^63 is exact as a double; every double at or past it is larger than any Int64.
        if d >= 9_223_372_036_854_775_808.0 { return 1 }
        if d < -9_223_372_036_854_775_808.0 { return -1 }
        let whole = d.rounded(.towardZero)
        let w = Int64(whole)
        if w != i { return w < i ? -1 : 1 }
        let fraction = d - whole
        return fraction == 0 ? 0 : (fraction < 0 ? -1 : 1)
    }

    /// The same BSON value, type for type and bit for bit (NaN is identical to NaN, -0.0 is not 0.0):
    /// what decides whether an update modified a document, as MongoDB compares the stored bytes.
    static func identical(_ lhs: Document, _ rhs: Document) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs) { $0.key == $1.key && identical($0.value, $1.value) }
    }

    private static func identical(_ lhs: BSONValue, _ rhs: BSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.double(let a), .double(let b)): return a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)
        case (.document(let a), .document(let b)): return identical(a, b)
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy(identical)
        default: return lhs == rhs
        }
    }

    private static func sign(_ value: Int) -> Int { value == 0 ? 0 : (value < 0 ? -1 : 1) }
}
