import BSON

/// Values, paths, filters, updates and pipelines for the fuzzer: mostly valid shapes, with the edge cases
/// of issue 12 mixed in (NaN, ±Infinity, -0.0, extreme integers, deep and long paths, huge lists, unknown
/// operators, field names MongoDB refuses).
struct FuzzValues {
    var random: FuzzRandom

    static let fields = ["x", "y", "sessionId", "status", "chargingPointId", "userId", "startTime", "list", "sub"]
    static let ids: [BSONValue] = [
        1, 2, .int64(2), 2.0, "a", "b", "s-1", .double(.nan), .double(-0.0), .double(.infinity), .null,
        ["k": 1], .datetime(0),
    ]

    mutating func scalar() -> BSONValue {
        switch random.int(0...24) {
        case 0: return .double(.nan)
        case 1: return .double(.infinity)
        case 2: return .double(-.infinity)
        case 3: return .double(-0.0)
        case 4: return .int32(random.pick([.max, .min, 0, -1]))
        case 5: return .int64(random.pick([.max, .min, 9_007_199_254_740_993, 1 << 53]))
        case 6: return .double(random.pick([1e308, -1e308, .leastNonzeroMagnitude, 9.3e18, 0.1, 2.5]))
        case 7: return .string(random.pick(["", "é", "e\u{301}", "\u{0}", "😀", "a\u{0}b", "$x", "a.b"]))
        case 8: return .string(String(repeating: "z", count: random.int(0...20_000)))
        case 9: return .datetime(random.pick([0, .min, .max, -1, 1_767_261_600_000]))
        case 10: return .objectId(ObjectId())
        case 11: return .bool(random.chance(0.5))
        case 12: return .null
        case 13...16: return .int32(Int32(random.int(-3...3)))
        case 17...19: return .string(random.pick(["Charging", "Stopped", "cp-1", "u-1", "s-1", "s-2"]))
        default: return .int64(Int64(random.int(-1_000...1_000)))
        }
    }

    /// A value up to `depth` levels of objects and arrays deep.
    mutating func value(depth: Int = 3) -> BSONValue {
        guard depth > 0, random.chance(0.3) else { return scalar() }
        if random.chance(0.5) {
            return .array((0..<random.int(0...4)).map { _ in value(depth: depth - 1) })
        }
        return .document(document(depth: depth - 1, keys: random.int(0...4)))
    }

    mutating func fieldName() -> String {
        random.chance(0.05) ? random.pick(["$bad", "a.b", "", "_id", "\u{0}", "é"]) : random.pick(Self.fields)
    }

    mutating func document(depth: Int, keys: Int) -> Document {
        Document((0..<keys).map { _ in (fieldName(), value(depth: depth)) })
    }

    /// A document to insert: an `_id` from a small pool (so duplicates happen) or none.
    mutating func storedDocument() -> Document {
        var document = document(depth: 3, keys: random.int(0...6))
        if random.chance(0.8) { document["_id"] = random.pick(Self.ids) }
        return document
    }

    /// A document `depth` levels deep.
    static func nested(_ depth: Int) -> BSONValue {
        var value: BSONValue = ["v": 1]
        for _ in 1..<max(depth, 1) { value = ["n": value] }
        return value
    }

    /// A dotted path: mostly short, sometimes long, numeric or at and past the bounds.
    mutating func path() -> String {
        switch random.int(0...19) {
        case 0:
            let count = random.pick([99, 100, 101, 150, 1_000, 200_000])
            return Array(repeating: "p", count: count).joined(separator: ".")
        case 1: return "list." + random.pick(["0", "1", "10000", "10001", "99999999999999999999", "-1"])
        case 2: return random.pick(["a..b", ".a", "a.", "a.$b", "$a", "sub.0.k", "sub.k.0"])
        default: return random.chance(0.3) ? "sub." + random.pick(Self.fields) : random.pick(Self.fields)
        }
    }

    mutating func list() -> BSONValue {
        let count = random.chance(0.1) ? random.pick([10_000, 10_001, 50_000]) : random.int(0...5)
        return .array((0..<count).map { _ in count > 100 ? .int32(Int32(random.int(0...100))) : scalar() })
    }

    mutating func filter(depth: Int = 2) -> Document {
        var filter = Document()
        for _ in 0..<random.int(0...3) {
            switch random.int(0...9) {
            case 0 where depth > 0:
                filter[random.pick(["$and", "$or"])] = .array(
                    (0..<random.int(0...3)).map { _ in
                        .document(self.filter(depth: depth - 1))
                    })
            case 1: filter[random.pick(["$where", "$expr", "$text", "$nor"])] = value()
            case 2: filter[path()] = [.init(random.pick(["$in", "$nin"])): list()]
            case 3...5:
                let op = random.pick(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$exists", "$regex", "$size", "$foo"])
                filter[path()] = [.init(op): value()]
            case 6: filter[path()] = ["$not": ["$gt": scalar()]]
            default: filter[path()] = value()
            }
        }
        return filter
    }

    mutating func update() -> BSONValue {
        if random.chance(0.1) { return .document(storedDocument()) }
        if random.chance(0.05) { return value() }
        var update = Document()
        for _ in 0..<random.int(0...3) {
            let op = random.pick([
                "$set", "$set", "$unset", "$inc", "$max", "$min", "$setOnInsert", "$currentDate", "$push", "$rename",
            ])
            var fields = Document()
            for _ in 0..<random.int(0...3) {
                let operand: BSONValue
                switch op {
                case "$inc": operand = random.chance(0.8) ? scalar() : value()
                case "$currentDate": operand = random.pick([true, false, ["$type": "date"], ["$type": "timestamp"]])
                default: operand = random.chance(0.05) ? Self.nested(random.pick([40, 60, 99, 100])) : value()
                }
                fields[path()] = operand
            }
            update[op] = random.chance(0.95) ? .document(fields) : scalar()
        }
        return .document(update)
    }

    mutating func stage() -> Document {
        switch random.int(0...11) {
        case 0: return ["$match": .document(filter())]
        case 1: return ["$sort": .document(Document([(path(), random.pick([1, -1, 0, "x"]))]))]
        case 2: return [.init(random.pick(["$skip", "$limit"])): random.pick([0, 1, 5, -1, 2_147_483_648, "x"])]
        case 3: return ["$project": [.init(path()): random.pick([1, 0, true, "$x", ["$literal": 1]])]]
        case 4: return ["$count": random.pick(["n", "", "$n", "a.b", 5])]
        case 5: return ["$group": ["_id": .double(.nan), "c": ["$sum": 1]]]
        case 6: return ["$group": ["_id": random.pick(["$x", "$sub.x", .double(-0.0), .null]), "c": ["$sum": "$x"]]]
        case 7:
            let accumulator = random.pick(["$sum", "$avg", "$min", "$max", "$first", "$last", "$push"])
            return ["$group": ["_id": "$status", "v": [.init(accumulator): "$x"]]]
        case 8: return [.init(random.pick(["$lookup", "$out", "$unwind", "$merge"])): value()]
        default: return ["$match": .document(filter(depth: 1))]
        }
    }
}
