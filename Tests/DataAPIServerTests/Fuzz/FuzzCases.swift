import BSON

/// One generated request.
struct FuzzCase: Sendable {
    /// What kind of case it is (for the failure report).
    let kind: String
    let path: String
    let headers: [(String, String)]
    let body: [UInt8]
    /// Whether the request is a write action (insert, update, delete): the store must not change when
    /// it is refused.
    let isWrite: Bool
    /// `insertMany` is ordered: the documents before a duplicate stay, so a 409 may change the store.
    let mayWritePartially: Bool
    /// The namespace the request names (a write can change no other).
    let database: String
    let collection: String

    /// A short description: kind, path and the start of the body.
    var summary: String {
        "\(kind) POST \(path.prefix(80)) \(String(decoding: body.prefix(160), as: UTF8.self))"
    }
}

/// Generates the fuzzer's requests from a seed: the same seed, the same requests.
struct FuzzCaseGenerator {
    static let database = "fuzz"
    static let collections = ["a", "b"]
    static let actions = [
        "find", "findOne", "insertOne", "insertMany", "updateOne", "updateMany", "deleteOne", "deleteMany", "aggregate",
        "bulkWrite",
    ]
    static let writes: Set<String> = [
        "insertOne", "insertMany", "updateOne", "updateMany", "deleteOne", "deleteMany", "bulkWrite",
    ]

    let apiKey: String
    var values: FuzzValues
    /// The huge cases so far, each in a collection of its own.
    private var bigCollections = 0

    init(seed: UInt64, apiKey: String) {
        self.apiKey = apiKey
        values = FuzzValues(random: FuzzRandom(seed: seed))
    }

    mutating func next() -> FuzzCase {
        switch values.random.int(0...99) {
        case 0..<45: return structured(kind: "request", action: values.random.pick(Self.actions))
        case 45..<55: return wrongTypes()
        case 55..<62: return raw(kind: "bad JSON", action: "find", body: badJSON())
        case 62..<67: return rawNumbers()
        case 67..<71: return raw(kind: "duplicate keys", action: "insertOne", body: duplicateKeys())
        case 71..<76: return raw(kind: "invalid Extended JSON", action: "insertOne", body: invalidExtendedJSON())
        case 76..<80: return badAction()
        case 80..<88: return deep()
        case 88..<92: return headersCase()
        case 92..<96: return structured(kind: "delete all", action: "deleteMany", fields: ["filter": [:]])
        default: return big()
        }
    }

    // MARK: Structured requests

    private mutating func namespace() -> Document {
        [
            "dataSource": "fuzz", "database": .string(Self.database),
            "collection": .string(values.random.pick(Self.collections)),
        ]
    }

    private mutating func fields(for action: String) -> Document {
        var fields = Document()
        switch action {
        case "find", "findOne":
            if values.random.chance(0.8) { fields["filter"] = .document(values.filter()) }
            if values.random.chance(0.3) {
                fields["projection"] = [.init(values.path()): values.random.pick([1, 0, "$x"])]
            }
            if values.random.chance(0.3) { fields["sort"] = [.init(values.path()): values.random.pick([1, -1, 2])] }
            if action == "find", values.random.chance(0.3) {
                fields["limit"] = values.random.pick([0, 1, 10, 50_001, -1])
            }
            if action == "find", values.random.chance(0.2) {
                fields["skip"] = values.random.pick([0, 1, 2_147_483_647])
            }
        case "insertOne":
            fields["document"] = .document(values.storedDocument())
        case "insertMany":
            fields["documents"] = .array((0..<values.random.int(0...4)).map { _ in .document(values.storedDocument()) })
        case "updateOne", "updateMany":
            fields["filter"] = .document(values.filter())
            fields["update"] = values.update()
            if values.random.chance(0.3) { fields["upsert"] = values.random.pick([true, false, 1]) }
        case "deleteOne", "deleteMany":
            fields["filter"] = .document(values.filter())
        case "bulkWrite":
            // In the body's collection (the fuzzer compares it after a refused request); a request that ran is a
            // 200 even when an operation failed, so only a 4xx must leave the store as it was.
            fields["operations"] = .array(
                (0..<values.random.int(0...4)).map { _ in
                    if values.random.chance(0.4) {
                        return ["insertOne": ["document": .document(values.storedDocument())]]
                    }
                    var update: Document = ["filter": .document(values.filter()), "update": values.update()]
                    if values.random.chance(0.3) { update["upsert"] = values.random.pick([true, false, 1]) }
                    if values.random.chance(0.3) { update["requireMatch"] = values.random.pick([true, false, "x"]) }
                    return ["updateOne": .document(update)]
                })
        default:
            fields["pipeline"] = .array((0..<values.random.int(0...4)).map { _ in .document(values.stage()) })
        }
        return fields
    }

    /// A request built from `fields` (or generated ones for the action), in collection `a` or `b`, or in a
    /// `collection` of its own (the huge cases: what they store is never read again).
    private mutating func structured(
        kind: String, action: String, fields: Document? = nil, collection: String? = nil
    ) -> FuzzCase {
        var body = namespace()
        if let collection { body["collection"] = .string(collection) }
        for (key, value) in fields ?? self.fields(for: action) { body[key] = value }
        return request(kind: kind, action: action, body: body)
    }

    /// A request for `body`, in the namespace it names.
    private func request(kind: String, action: String, body: Document) -> FuzzCase {
        request(
            kind: kind, action: action, body: ExtendedJSON.serializeBytes(.document(body), mode: .canonical),
            database: body["database"]?.stringValue ?? Self.database, collection: body["collection"]?.stringValue ?? "a"
        )
    }

    func request(
        kind: String, action: String, body: [UInt8], headers: [(String, String)]? = nil, prefix: String = "/action/",
        database: String = database, collection: String = "a"
    ) -> FuzzCase {
        FuzzCase(
            kind: kind, path: prefix + action,
            headers: headers ?? [("Content-Type", "application/ejson"), ("apiKey", apiKey)], body: body,
            isWrite: Self.writes.contains(action), mayWritePartially: action == "insertMany", database: database,
            collection: collection)
    }

    func raw(kind: String, action: String, body: String, collection: String = "a") -> FuzzCase {
        request(kind: kind, action: action, body: Array(body.utf8), collection: collection)
    }

    /// Every parameter of an action, one at a time, of a wrong type, or an unknown or missing field.
    private mutating func wrongTypes() -> FuzzCase {
        let action = values.random.pick(Self.actions)
        var body = namespace()
        for (key, value) in fields(for: action) { body[key] = value }
        let key = values.random.pick(
            body.keys + ["dataSource", "database", "collection", "filter", "update", "document", "pipeline", "bogus"])
        let wrong: [BSONValue] = [
            5, "x", [1], true, .null, ["$gt": 1], .double(.nan), [:], .string(String(repeating: "n", count: 300)),
            "system.x", "a$b", "a.b", "",
        ]
        if values.random.chance(0.15) { body[key] = nil } else { body[key] = values.random.pick(wrong) }
        return request(kind: "wrong type of \(key)", action: action, body: body)
    }

    private mutating func badAction() -> FuzzCase {
        let name = values.random.pick([
            "", "FIND", "find%20", "..%2Ffind", "replaceOne", "dropDatabase", "find%00", "%E2%82%AC",
            String(repeating: "a", count: 2_000), "findOne%3Fx", "insert_one",
        ])
        let prefix = values.random.chance(0.3) ? "/app/data-x/endpoint/data/v1/action/" : "/action/"
        return request(
            kind: "bad action", action: name, body: Array(#"{"database":"fuzz","collection":"a"}"#.utf8), prefix: prefix
        )
    }

    /// Documents, values and pipelines at and past the nesting bounds.
    private mutating func deep() -> FuzzCase {
        let depth = values.random.pick([50, 99, 100, 101, 106, 107, 110, 200])
        let nested = FuzzValues.nested(depth)
        let action = values.random.pick(["insertOne", "insertMany", "updateOne", "find", "aggregate"])
        let fields: Document
        switch action {
        case "insertOne": fields = ["document": nested]
        case "insertMany": fields = ["documents": [nested]]
        case "updateOne":
            fields = [
                "filter": [:], "update": ["$set": [.init(values.path()): nested]],
                "upsert": .bool(values.random.chance(0.5)),
            ]
        case "find": fields = ["filter": ["x": nested]]
        default: fields = ["pipeline": [["$match": ["x": ["$eq": nested]]]]]
        }
        return structured(kind: "deep \(depth)", action: action, fields: fields)
    }

    private mutating func headersCase() -> FuzzCase {
        let body = Array(#"{"database":"fuzz","collection":"a","document":{"h":1}}"#.utf8)
        let headers = values.random.pick([
            [("Content-Type", "text/plain"), ("apiKey", apiKey)],
            [("Content-Type", "application/json")],
            [("Content-Type", "application/json"), ("apiKey", apiKey + "x")],
            [("Content-Type", "application/json"), ("Authorization", "Bearer " + apiKey)],
            [("Content-Type", "application/json; charset=utf-8"), ("apiKey", apiKey), ("Accept", "application/ejson")],
            [("Content-Type", "application/x-www-form-urlencoded"), ("apiKey", apiKey)],
        ])
        return request(kind: "headers", action: "insertOne", body: body, headers: headers)
    }

    /// Huge arrays, lists, pipelines, objects and bodies.
    private mutating func big() -> FuzzCase {
        bigCollections += 1
        let own = "big\(bigCollections)"
        switch values.random.int(0...5) {
        case 0:
            let count = values.random.pick([10_000, 100_000, 300_000])
            return structured(
                kind: "huge array \(count)", action: "insertOne",
                fields: [
                    "document": ["big": .array(Array(repeating: .int32(1), count: count))]
                ], collection: own)
        case 1:
            let count = values.random.pick([1_000, 1_001])
            return structured(
                kind: "pipeline \(count)", action: "aggregate",
                fields: [
                    "pipeline": .array(Array(repeating: ["$match": [:]], count: count))
                ])
        case 2:
            let count = values.random.pick([10_000, 10_001])
            let wide = Document((0..<count).map { ("k\($0)", BSONValue.int32(1)) })
            return structured(
                kind: "object of \(count) keys", action: "updateMany",
                fields: [
                    "filter": .document(wide), "update": ["$set": ["w": 1]], "upsert": true,
                ], collection: own)
        case 3:
            return structured(
                kind: "$set path 200000", action: "updateOne",
                fields: [
                    "filter": [:],
                    "update": ["$set": [.init(Array(repeating: "p", count: 200_000).joined(separator: ".")): 1]],
                ])
        case 4:
            let size = (16 << 20) + values.random.int(1...1_000)
            return raw(
                kind: "oversized body", action: "insertOne",
                body: #"{"database":"fuzz","collection":"\#(own)","document":{"s":""#
                    + String(repeating: "o", count: size) + #""}}"#, collection: own)
        default:
            return structured(
                kind: "string of 1 MiB", action: "insertOne",
                fields: [
                    "document": ["s": .string(String(repeating: "m", count: 1 << 20))]
                ], collection: own)
        }
    }
}
