import BSON
import Testing

@testable import DataAPIServer

/// Updates and projections with thousands of paths: overlap checks, in-place nested changes and
/// projection trees, with the same results and errors as with a few paths.
@Suite("Update paths")
struct UpdatePathTests {
    static let pathCount = 5_000

    static func fields(_ count: Int, prefix: String = "f") -> Document {
        Document((0..<count).map { ("\(prefix)\($0)", BSONValue.int32(Int32($0))) })
    }

    @Test("an update with thousands of $set paths parses, sorted by path")
    func manyPaths() throws {
        let update = try Update(["$set": .document(Self.fields(Self.pathCount))])
        guard case .operators(let operations) = update.kind else {
            Issue.record("not an operator update")
            return
        }
        #expect(operations.count == Self.pathCount)
        let paths = operations.map(\.path.description)
        #expect(paths == paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        let applied = try update.apply(to: ["_id": 1], inserting: false, now: 0)
        #expect(applied.count == Self.pathCount + 1)
        #expect(applied["f4999"] == .int32(4999))
    }

    @Test(
        "an overlap at the end of thousands of paths is detected and names the first clash",
        arguments: [
            ("f0.sub", "$set", #"updating the path "f0.sub" would create a conflict at "f0""#),
            ("f17", "$inc", #"updating the path "f17" would create a conflict at "f17""#),
            ("nested", "$unset", #"updating the path "nested" would create a conflict at "nested.a""#),
        ])
    func overlapAtEnd(path: String, op: String, message: String) {
        var set = Self.fields(Self.pathCount)
        set["nested.a"] = 1
        set["nested.b"] = 2
        var update: Document = ["$set": .document(set)]
        if op == "$set" {
            set[path] = 1
            update["$set"] = .document(set)
        } else {
            update[op] = [path: 1]
        }
        let error = #expect(throws: DataAPIError.self) { try Update(update) }
        #expect(error?.code == .invalidParameter)
        #expect(error?.message == message)
    }

    @Test("overlap rules: a prefix clashes, siblings and shared name prefixes do not")
    func overlapRules() throws {
        _ = try Update(["$set": ["a.b": 1, "a.c": 2, "ab": 3, "a.bc": 4]])
        #expect(throws: DataAPIError.self) { try Update(["$set": ["a.b": 1], "$unset": ["a": ""]]) }
        #expect(throws: DataAPIError.self) { try Update(["$set": ["a": 1], "$inc": ["a.b.c": 1]]) }
        #expect(throws: DataAPIError.self) { try Update(["$set": ["x.0": 1], "$max": ["x.0": 2]]) }
    }

    @Test("thousands of nested $set and $unset paths change one nested document")
    func nestedPaths() throws {
        var set = Document()
        for i in 0..<Self.pathCount { set["a.f\(i)"] = .int32(Int32(i)) }
        let original: Document = ["_id": 1, "a": ["keep": true], "z": 0]
        let applied = try Update(["$set": .document(set)]).apply(to: original, inserting: false, now: 0)
        #expect(applied.keys == ["_id", "a", "z"])
        let nested = try #require(applied["a"]?.documentValue)
        #expect(nested.count == Self.pathCount + 1)
        #expect(nested["keep"] == true)
        #expect(applied.value(atPath: "a.f1234") == .int32(1234))

        var unset = Document()
        for i in 0..<Self.pathCount where i % 2 == 0 { unset["a.f\(i)"] = "" }
        let trimmed = try Update(["$unset": .document(unset)]).apply(to: applied, inserting: false, now: 0)
        let rest = try #require(trimmed["a"]?.documentValue)
        #expect(rest.count == Self.pathCount / 2 + 1)
        #expect(rest["f0"] == nil)
        #expect(rest["f1"] == .int32(1))
        #expect(rest.keys == nested.keys.filter { $0 == "keep" || Int($0.dropFirst())! % 2 == 1 })
        // The input documents are values: neither changed.
        #expect(original == ["_id": 1, "a": ["keep": true], "z": 0])
        #expect(applied.value(atPath: "a.f0") == .int32(0))
    }

    @Test("paths through arrays and scalars behave as before")
    func arraysAndScalars() throws {
        let original: Document = ["_id": 1, "list": [1, ["k": 1]], "s": "text"]
        let update = try Update(["$set": ["list.1.k": 2, "list.3": "new"], "$unset": ["list.0": ""]])
        let applied = try update.apply(to: original, inserting: false, now: 0)
        #expect(applied["list"] == .array([.null, ["k": 2], .null, "new"]))
        let error = #expect(throws: DataAPIError.self) {
            try Update(["$set": ["s.x": 1]]).apply(to: original, inserting: false, now: 0)
        }
        #expect(error?.message == #"cannot create field "x" in a non-object value at path "s.x""#)
        var target = original
        #expect(throws: DataAPIError.self) { try FieldPath("list.0.deep").set(1, in: &target) }
        #expect(target == original)
        FieldPath.unsetting(["list.9", "missing.a", "s.x"], in: &target)
        #expect(target == original)
    }

    @Test("a projection with thousands of dotted paths under one field")
    func largeProjection() throws {
        var spec = Document()
        for i in 0..<Self.pathCount { spec["a.f\(i)"] = 1 }
        let projection = try Projection(spec, allowExpressions: false)
        let document: Document = ["_id": 7, "a": .document(Self.fields(Self.pathCount + 10)), "b": 1]
        let projected = projection.apply(document)
        #expect(projected.keys == ["_id", "a"])
        #expect(projected["a"]?.documentValue?.count == Self.pathCount)
        let collision = #expect(throws: DataAPIError.self) {
            try Projection(["a.b": 1, "a.b.c": 1], allowExpressions: false)
        }
        #expect(collision?.message == #"projection path collision at "a.b.c""#)
    }
}

extension FieldPath {
    /// Unsets each dotted path in turn.
    static func unsetting(_ paths: [String], in document: inout Document) {
        for path in paths {
            if let fieldPath = try? FieldPath(path) { fieldPath.unset(in: &document) }
        }
    }
}
