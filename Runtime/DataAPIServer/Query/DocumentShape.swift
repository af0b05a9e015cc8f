import BSON

/// The measures of a document that ``DataAPILimits`` bounds, taken in one pass: nesting depth (the
/// document itself is level 1), exact BSON size, and the most keys of any one object in it.
struct DocumentShape: Sendable, Equatable {
    /// Levels of objects and arrays: 0 for a scalar, 1 for `{}` or `{a: 1}`, 2 for `{a: [1]}`.
    var depth = 0
    /// Bytes of the value's BSON encoding (for a scalar, its payload without type byte and key).
    var bsonBytes = 0
    /// Keys of the widest object.
    var widestObject = 0

    /// The measures of any value (a scalar has depth 0 and its BSON payload size).
    init(value: BSONValue) { self = Self.measure(value) }

    init(_ document: Document) { self.init(value: .document(document)) }

    private init() {}

    /// Recursion is bounded by the JSON nesting the parser accepts (``DataAPILimits/maxRequestJSONDepth``);
    /// documents built by updates are checked before they can be deeper than ``DataAPILimits/maxNestingDepth``.
    private static func measure(_ value: BSONValue) -> DocumentShape {
        var shape = DocumentShape()
        switch value {
        case .null: shape.bsonBytes = 0
        case .bool: shape.bsonBytes = 1
        case .int32: shape.bsonBytes = 4
        case .int64, .double, .datetime: shape.bsonBytes = 8
        case .objectId: shape.bsonBytes = 12
        case .string(let s): shape.bsonBytes = 4 + s.utf8.count + 1
        case .document(let d):
            shape.widestObject = d.count
            shape.bsonBytes = 4 + 1
            for (key, item) in d { shape.add(measure(item), keyBytes: key.utf8.count) }
            shape.depth += 1
        case .array(let items):
            shape.bsonBytes = 4 + 1
            for (i, item) in items.enumerated() { shape.add(measure(item), keyBytes: digits(i)) }
            shape.depth += 1
        }
        return shape
    }

    /// Adds an element: type byte, NUL-terminated key, value.
    private mutating func add(_ child: DocumentShape, keyBytes: Int) {
        bsonBytes += 1 + keyBytes + 1 + child.bsonBytes
        depth = max(depth, child.depth)
        widestObject = max(widestObject, child.widestObject)
    }

    private static func digits(_ n: Int) -> Int {
        var count = 1
        var rest = n
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        return count
    }

    // MARK: Checks

    /// Refuses an object with more keys than ``DataAPILimits/maxKeysPerObject`` (any object in a request).
    func checkKeys() throws(DataAPIError) {
        if widestObject > DataAPILimits.maxKeysPerObject {
            throw DataAPILimits.exceeded(
                "the number of keys of an object", widestObject, limit: DataAPILimits.maxKeysPerObject, "keys")
        }
    }

    /// Refuses a document that may not be stored: too deep, too large as BSON, or with too wide an object.
    /// `what` names it in the message ("the document", "the updated document").
    func checkStorable(_ what: String) throws(DataAPIError) {
        if depth > DataAPILimits.maxNestingDepth {
            throw DataAPILimits.exceeded(
                "the nesting depth of \(what)", depth, limit: DataAPILimits.maxNestingDepth, "levels")
        }
        if bsonBytes > DataAPILimits.maxDocumentBytes {
            throw DataAPILimits.exceeded(
                "the BSON size of \(what)", bsonBytes, limit: DataAPILimits.maxDocumentBytes, "bytes")
        }
        try checkKeys()
    }

    /// Refuses a value written at `path` whose deepest level would lie past ``DataAPILimits/maxNestingDepth``
    /// (`path` reaches level `components`, the value adds its own depth), and a numeric component of the
    /// path past ``DataAPILimits/maxArrayIndex``. `what` names the write (`$set`, "the upsert's filter").
    static func checkWrite(_ what: String, path: FieldPath, value: BSONValue?) throws(DataAPIError) {
        for component in path.components.dropFirst() {
            guard let first = component.utf8.first, first >= 48, first <= 57 else { continue }
            // Digits only; a long run of digits is over the bound whatever its value.
            guard component.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { continue }
            let index = component.utf8.count > 9 ? Int.max : Int(component) ?? Int.max
            if index > DataAPILimits.maxArrayIndex {
                throw DataAPIError(
                    .invalidParameter,
                    "the array index \(DataAPILimits.quoted(component)) in the \(what) path "
                        + "\(DataAPILimits.quoted(path.description)) is over the limit of "
                        + "\(DataAPILimits.maxArrayIndex) (array index)")
            }
        }
        let reached = path.components.count + (value.map { DocumentShape(value: $0).depth } ?? 0)
        if reached > DataAPILimits.maxNestingDepth {
            throw DataAPILimits.exceeded(
                "the nesting depth \(what) on \(DataAPILimits.quoted(path.description)) would give the document",
                reached, limit: DataAPILimits.maxNestingDepth, "levels")
        }
    }
}
