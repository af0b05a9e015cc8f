import BSON

/// A parsed aggregation pipeline: `$match $sort $skip $limit $project $group $count`, with the
/// accumulators `$sum $avg $min $max $first $last`. Other stages are rejected with a 400.
struct Pipeline: Sendable {
    enum Stage: Sendable {
        case match(Filter), sort(SortSpecification), skip(Int), limit(Int), project(Projection)
        case group(Group), count(String)
    }

    struct Group: Sendable {
        enum Accumulator: String, Sendable {
            case sum = "$sum", avg = "$avg", min = "$min", max = "$max", first = "$first", last = "$last"
        }

        let id: Expression
        let fields: [(name: String, accumulator: Accumulator, expression: Expression)]
    }

    /// The pipeline as the client sent it (the MongoDB backend forwards it).
    let documents: [Document]
    let stages: [Stage]

    init(_ documents: [Document]) throws(DataAPIError) {
        if documents.count > DataAPILimits.maxPipelineStages {
            throw DataAPILimits.exceeded(
                "the number of pipeline stages", documents.count, limit: DataAPILimits.maxPipelineStages, "stages")
        }
        self.documents = documents
        var stages = [Stage]()
        for stage in documents {
            guard stage.count == 1, let name = stage.keys.first, let spec = stage[name] else {
                throw DataAPIError(.invalidParameter, "each pipeline stage must be an object with exactly one field")
            }
            stages.append(try Self.parseStage(name, spec))
        }
        self.stages = stages
    }

    private static func parseStage(_ name: String, _ spec: BSONValue) throws(DataAPIError) -> Stage {
        func object() throws(DataAPIError) -> Document {
            guard case .document(let d) = spec else {
                throw DataAPIError(.invalidParameter, "\(name) needs an object")
            }
            return d
        }
        func count(allowZero: Bool) throws(DataAPIError) -> Int {
            guard let n = spec.int64Value, n >= (allowZero ? 0 : 1), n <= Int64(Int32.max) else {
                throw DataAPIError(
                    .invalidParameter, "\(name) needs a \(allowZero ? "non-negative" : "positive") integer")
            }
            return Int(n)
        }
        switch name {
        case "$match": return .match(try Filter(try object()))
        case "$sort":
            let d = try object()
            guard !d.isEmpty else { throw DataAPIError(.invalidParameter, "$sort needs at least one field") }
            return .sort(try SortSpecification(d))
        case "$skip": return .skip(try count(allowZero: true))
        case "$limit": return .limit(try count(allowZero: false))
        case "$project":
            let d = try object()
            guard !d.isEmpty else { throw DataAPIError(.invalidParameter, "$project needs at least one field") }
            return .project(try Projection(d, allowExpressions: true))
        case "$count":
            guard case .string(let field) = spec, !field.isEmpty, !field.hasPrefix("$"), !field.contains(".") else {
                throw DataAPIError(.invalidParameter, "$count needs a non-empty field name without $ or .")
            }
            return .count(field)
        case "$group": return .group(try parseGroup(try object()))
        default:
            throw DataAPIError(.invalidParameter, "unsupported aggregation stage \(name)")
        }
    }

    private static func parseGroup(_ spec: Document) throws(DataAPIError) -> Group {
        guard let idSpec = spec["_id"] else {
            throw DataAPIError(.invalidParameter, "$group needs an _id")
        }
        var fields = [(name: String, accumulator: Group.Accumulator, expression: Expression)]()
        for (name, value) in spec where name != "_id" {
            guard !name.contains("."), !name.hasPrefix("$") else {
                throw DataAPIError(
                    .invalidParameter, "$group field name \"\(name)\" must not contain . or start with $")
            }
            guard case .document(let d) = value, d.count == 1, let op = d.keys.first, let operand = d[op] else {
                throw DataAPIError(.invalidParameter, "$group field \"\(name)\" needs one accumulator object")
            }
            guard let accumulator = Group.Accumulator(rawValue: op) else {
                throw DataAPIError(.invalidParameter, "unsupported accumulator \(op) in $group field \"\(name)\"")
            }
            fields.append((name, accumulator, try Expression(operand)))
        }
        return Group(id: try Expression(idSpec), fields: fields)
    }

    /// The leading `$match`, which a backend may use to narrow its scan.
    var leadingFilter: Filter? {
        if case .match(let filter)? = stages.first { return filter }
        return nil
    }

    /// Runs the pipeline over documents in their natural order.
    func run(_ input: [Document]) -> [Document] {
        var documents = input
        for stage in stages {
            switch stage {
            case .match(let filter): documents = documents.filter(filter.matches)
            case .sort(let sort): documents = sort.sorted(documents)
            case .skip(let n): documents = Array(documents.dropFirst(n))
            case .limit(let n): documents = Array(documents.prefix(n))
            case .project(let projection): documents = documents.map(projection.apply)
            case .count(let field): documents = documents.isEmpty ? [] : [[field: .integer(Int64(documents.count))]]
            case .group(let group): documents = Self.run(group, documents)
            }
        }
        return documents
    }

    private static func run(_ group: Group, _ documents: [Document]) -> [Document] {
        var buckets = [(id: BSONValue, documents: [Document])]()
        var bucketOfKey = [GroupKey: Int]()
        for document in documents {
            let id = group.id.evaluate(document) ?? .null
            let key = GroupKey(id)
            if let bucket = bucketOfKey[key] {
                buckets[bucket].documents.append(document)
            } else {
                bucketOfKey[key] = buckets.count
                buckets.append((id, [document]))
            }
        }
        return buckets.map { bucket in
            var result: Document = ["_id": bucket.id]
            for field in group.fields {
                let values = bucket.documents.map { field.expression.evaluate($0) }
                result[field.name] = accumulate(field.accumulator, values)
            }
            return result
        }
    }

    private static func accumulate(_ accumulator: Group.Accumulator, _ values: [BSONValue?]) -> BSONValue {
        switch accumulator {
        case .first: return (values.first ?? nil) ?? .null
        case .last: return (values.last ?? nil) ?? .null
        case .sum: return sum(values.compactMap { $0 }.filter(\.isNumber))
        case .avg:
            let numbers = values.compactMap { $0?.doubleValue }
            return numbers.isEmpty ? .null : .double(numbers.reduce(0, +) / Double(numbers.count))
        case .min, .max:
            let present = values.compactMap { $0 }.filter { !$0.isNull }
            guard var best = present.first else { return .null }
            for value in present.dropFirst() {
                let c = BSONOrder.compare(value, best)
                if accumulator == .min ? c < 0 : c > 0 { best = value }
            }
            return best
        }
    }

    /// `$sum`: int32 while the total fits, then int64, then double; any double makes it a double.
    private static func sum(_ numbers: [BSONValue]) -> BSONValue {
        var integer: Int64 = 0
        var double = 0.0
        var widest = 0  // 0 int32, 1 int64, 2 double
        var overflowed = false
        for number in numbers {
            switch number {
            case .int32(let v):
                let (s, o) = integer.addingReportingOverflow(Int64(v))
                integer = s
                overflowed = overflowed || o
            case .int64(let v):
                let (s, o) = integer.addingReportingOverflow(v)
                integer = s
                overflowed = overflowed || o
                widest = max(widest, 1)
            default:
                widest = 2
            }
            double += number.doubleValue ?? 0
        }
        if widest == 2 || overflowed { return .double(double) }
        if widest == 0, let small = Int32(exactly: integer) { return .int32(small) }
        return .int64(integer)
    }
}

/// A grouping key under MongoDB equality: 1, 1.0 and NumberLong(1) are one group, so are -0.0 and 0, and
/// NaN is one group (NaN equals NaN for grouping), unlike `Double`'s `==`.
private indirect enum GroupKey: Hashable {
    /// Strings and keys by their UTF-8 bytes (MongoDB's simple collation), not by canonical equivalence.
    case null, bool(Bool), string([UInt8]), datetime(Int64), objectId(ObjectId)
    /// A number with an integral value in Int64's range, exactly (an int64 past 2^53 keeps every digit).
    case integer(Int64)
    /// Any other double by its bits: NaN canonical, so every NaN is one key.
    case double(UInt64)
    case document([[UInt8]], [GroupKey])
    case array([GroupKey])

    init(_ value: BSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .string(let s): self = .string(Array(s.utf8))
        case .datetime(let ms): self = .datetime(ms)
        case .objectId(let oid): self = .objectId(oid)
        case .int32(let v): self = .integer(Int64(v))
        case .int64(let v): self = .integer(v)
        case .double(let d):
            if d.isNaN {
                self = .double(Double.nan.bitPattern)
            } else if let exact = Int64(exactly: d) {
                self = .integer(exact)
            } else {
                self = .double(d.bitPattern)
            }
        case .document(let d): self = .document(d.keys.map { Array($0.utf8) }, d.values.map(GroupKey.init))
        case .array(let items): self = .array(items.map(GroupKey.init))
        }
    }
}
