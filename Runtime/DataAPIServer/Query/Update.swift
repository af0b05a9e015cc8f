import BSON

/// A parsed update: either a replacement document or operators `$set $unset $inc $max $min
/// $setOnInsert $currentDate`. Fields are processed in lexicographic path order, as MongoDB ≥ 5.0
/// does, so new fields land in the same order on both backends.
struct Update: Sendable {
    enum Operator: String, Sendable, CaseIterable {
        case set = "$set", unset = "$unset", inc = "$inc", max = "$max", min = "$min"
        case setOnInsert = "$setOnInsert", currentDate = "$currentDate"
    }

    struct Operation: Sendable {
        let op: Operator
        let path: FieldPath
        let operand: BSONValue
    }

    enum Kind: Sendable {
        case replacement(Document)
        case operators([Operation])
    }

    /// The update as the client sent it (the MongoDB backend forwards it).
    let document: Document
    let kind: Kind

    var isReplacement: Bool {
        if case .replacement = kind { return true }
        return false
    }

    init(_ document: Document) throws(DataAPIError) {
        self.document = document
        guard let first = document.keys.first else {
            throw DataAPIError(.invalidParameter, "update must not be empty")
        }
        guard first.hasPrefix("$") else {
            if let op = document.keys.first(where: { $0.hasPrefix("$") }) {
                throw DataAPIError(.invalidParameter, "a replacement document must not contain operators (\(op))")
            }
            kind = .replacement(document)
            return
        }
        var operations = [Operation]()
        var claimed = ClaimedPaths()
        for (key, value) in document {
            guard let op = Operator(rawValue: key) else {
                let kind = key.hasPrefix("$") ? "unsupported update operator" : "field"
                throw DataAPIError(.invalidParameter, "\(kind) \(key) in an operator update")
            }
            guard case .document(let fields) = value else {
                throw DataAPIError(.invalidParameter, "\(key) needs an object of fields")
            }
            for (dotted, operand) in fields {
                let path = try FieldPath(dotted)
                try Self.validate(op, operand, path)
                if let clash = claimed.claim(path, operation: operations.count) {
                    throw DataAPIError(
                        .invalidParameter,
                        "updating the path \"\(path)\" would create a conflict at \"\(operations[clash].path)\"")
                }
                operations.append(Operation(op: op, path: path, operand: operand))
            }
        }
        operations.sort {
            $0.path.components.lexicographicallyPrecedes($1.path.components) { a, b in
                a.utf8.lexicographicallyPrecedes(b.utf8)
            }
        }
        kind = .operators(operations)
    }

    private static func validate(_ op: Operator, _ operand: BSONValue, _ path: FieldPath) throws(DataAPIError) {
        if op != .unset { try DocumentShape.checkWrite(op.rawValue, path: path, value: operand) }
        switch op {
        case .inc:
            guard operand.isNumber else {
                throw DataAPIError(.invalidParameter, "$inc on \"\(path)\" needs a number")
            }
        case .currentDate:
            switch operand {
            case .bool(true): return
            case .document(let spec) where spec == ["$type": "date"]: return
            default:
                throw DataAPIError(.invalidParameter, "$currentDate on \"\(path)\" supports true or {$type: \"date\"}")
            }
        default:
            return
        }
    }

    /// Applies the update to a stored document. `inserting` enables `$setOnInsert`; `now` is the
    /// `$currentDate` value in epoch milliseconds.
    func apply(to original: Document, inserting: Bool, now: Int64) throws(DataAPIError) -> Document {
        switch kind {
        case .replacement(let replacement):
            var result = Document()
            if let id = original["_id"] { result["_id"] = id }
            for (key, value) in replacement { result[key] = value }
            try Self.checkImmutableId(original, result)
            return result
        case .operators(let operations):
            var result = original
            for operation in operations {
                try Self.apply(operation, to: &result, inserting: inserting, now: now)
            }
            try Self.checkImmutableId(original, result)
            return result
        }
    }

    private static func checkImmutableId(_ original: Document, _ updated: Document) throws(DataAPIError) {
        guard let id = original["_id"] else { return }
        guard let newId = updated["_id"], newId == id else {
            throw DataAPIError(
                .invalidParameter, "performing an update on the path \"_id\" would modify the immutable field \"_id\"")
        }
    }

    private static func apply(
        _ operation: Operation, to document: inout Document, inserting: Bool, now: Int64
    )
        throws(DataAPIError)
    {
        let path = operation.path
        let current = path.value(in: document)
        switch operation.op {
        case .set:
            try path.set(operation.operand, in: &document)
        case .setOnInsert:
            if inserting { try path.set(operation.operand, in: &document) }
        case .unset:
            path.unset(in: &document)
        case .currentDate:
            try path.set(.datetime(now), in: &document)
        case .inc:
            guard let current else {
                try path.set(operation.operand, in: &document)
                return
            }
            guard current.isNumber else {
                throw DataAPIError(.invalidParameter, "cannot apply $inc to the non-numeric field \"\(path)\"")
            }
            try path.set(try add(current, operation.operand, path: path), in: &document)
        case .max, .min:
            let order = BSONOrder.compare(operation.operand, current)
            let replace = current == nil || (operation.op == .max ? order > 0 : order < 0)
            if replace { try path.set(operation.operand, in: &document) }
        }
    }

    /// MongoDB's `$inc` arithmetic: int32 + int32 stays int32 unless it overflows, integers widen to
    /// int64, anything with a double is a double.
    static func add(_ a: BSONValue, _ b: BSONValue, path: FieldPath) throws(DataAPIError) -> BSONValue {
        switch (a, b) {
        case (.int32(let x), .int32(let y)):
            let (sum, overflow) = x.addingReportingOverflow(y)
            return overflow ? .int64(Int64(x) + Int64(y)) : .int32(sum)
        case (.int32, .int64), (.int64, .int32), (.int64, .int64):
            let (x, y) = (a.int64Value ?? 0, b.int64Value ?? 0)
            let (sum, overflow) = x.addingReportingOverflow(y)
            guard !overflow else { throw DataAPIError(.invalidParameter, "$inc overflows the field \"\(path)\"") }
            return .int64(sum)
        default:
            return .double((a.doubleValue ?? 0) + (b.doubleValue ?? 0))
        }
    }

    /// The document an upsert inserts when nothing matched: the filter's equality fields (only
    /// `_id` for a replacement), then the update; `_id` first, a new ObjectId when absent.
    func upsertDocument(filter: Filter, now: Int64) throws(DataAPIError) -> Document {
        var seed = Document()
        for (path, value) in filter.equalityFields where !isReplacement || path.description == "_id" {
            if case .document(let d) = value, d.keys.contains(where: { $0.hasPrefix("$") }) { continue }
            try path.set(value, in: &seed)
        }
        var result: Document
        switch kind {
        case .replacement(let replacement):
            result = Document()
            if let id = seed["_id"] { result["_id"] = id }
            for (key, value) in replacement where key != "_id" || result["_id"] == nil { result[key] = value }
            if let id = seed["_id"], let replacementId = replacement["_id"], !BSONOrder.equal(id, replacementId) {
                throw DataAPIError(.invalidParameter, "the replacement's _id differs from the filter's _id")
            }
        case .operators:
            result = try apply(to: seed, inserting: true, now: now)
        }
        return Self.withIdFirst(result)
    }

    /// Moves `_id` to the front, generating an ObjectId when it is absent (as MongoDB stores it).
    static func withIdFirst(_ document: Document) -> Document {
        var result = Document()
        result["_id"] = document["_id"] ?? .objectId(ObjectId())
        for (key, value) in document where key != "_id" { result[key] = value }
        return result
    }
}

/// The paths an operator update has touched so far, to find the first earlier one that overlaps a new
/// path (one is a prefix of the other, ``FieldPath/overlaps(_:)``) with O(depth) lookups instead of a
/// scan of every earlier path.
private struct ClaimedPaths {
    /// Every claimed path → its operation.
    private var exact = [ArraySlice<String>: Int]()
    /// Every proper prefix of a claimed path → the first operation under it.
    private var prefixes = [ArraySlice<String>: Int]()

    /// Claims `path` for `operation`, or returns the first earlier operation whose path overlaps it.
    ///
    /// Claimed paths never overlap each other (a clash is an error), so at most one of them is a prefix
    /// of `path` or equal to it; when none is, the first one that `path` is a prefix of is the clash.
    mutating func claim(_ path: FieldPath, operation: Int) -> Int? {
        let components = path.components[...]
        for length in 1...components.count {
            if let clash = exact[components.prefix(length)] { return clash }
        }
        if let clash = prefixes[components] { return clash }
        exact[components] = operation
        for length in 1..<components.count where prefixes[components.prefix(length)] == nil {
            prefixes[components.prefix(length)] = operation
        }
        return nil
    }
}
