import BSON
import Essentials
import Testing

/// The document's key index: large documents parse, look up, change and remove keys without scans,
/// while key order, equality and hashing stay what they were.
@Suite("Document index")
struct DocumentIndexTests {
    static let largeCount = 20_000

    /// `{"k0":0,"k1":1,…}` with `count` keys, plus `extra` before the closing brace.
    static func objectText(count: Int, extra: String = "") -> [UInt8] {
        var text = "{"
        for i in 0..<count { text += (i == 0 ? "" : ",") + "\"k\(i)\":\(i)" }
        return Array((text + extra + "}").utf8)
    }

    @Test("a 20,000-key object parses, keeps its order and round-trips")
    func largeObjectRoundTrip() throws {
        let document = try ExtendedJSON.parseDocument(Self.objectText(count: Self.largeCount))
        #expect(document.count == Self.largeCount)
        #expect(document.keys.first == "k0")
        #expect(document.keys.last == "k19999")
        #expect(document.keys == (0..<Self.largeCount).map { "k\($0)" })
        #expect(document["k12345"] == .int32(12345))
        #expect(document["missing"] == nil)
        for mode in [ExtendedJSON.Mode.canonical, .relaxed] {
            let again = try ExtendedJSON.parseDocument(Array(ExtendedJSON.serialize(document, mode: mode).utf8))
            #expect(again == document)
            #expect(again.keys == document.keys)
        }
    }

    @Test("a duplicate key at the end of a 20,000-key object is reported")
    func duplicateAtEnd() {
        let text = Self.objectText(count: Self.largeCount, extra: #","k0":1"#)
        let error = #expect(throws: DataAPIError.self) { try ExtendedJSON.parseDocument(text) }
        #expect(error?.code == .invalidParameter)
        #expect(error?.message.contains(#"duplicate key "k0""#) == true)
    }

    @Test("a duplicate key in a small object is reported too")
    func duplicateSmall() {
        let error = #expect(throws: DataAPIError.self) { try ExtendedJSON.parse(#"{"a":1,"b":2,"a":3}"#) }
        #expect(error?.message.contains(#"duplicate key "a""#) == true)
    }

    @Test("removing keys keeps the order and the lookups right", arguments: [10, 40, 5_000])
    func removal(count: Int) {
        var document = Document()
        for i in 0..<count { document["k\(i)"] = .int64(Int64(i)) }
        // Remove every key divisible by 3, crossing several compactions on the large documents.
        for i in stride(from: 0, to: count, by: 3) {
            #expect(document.removeValue(forKey: "k\(i)") == .int64(Int64(i)))
        }
        #expect(document.removeValue(forKey: "k0") == nil)
        let kept = (0..<count).filter { $0 % 3 != 0 }
        #expect(document.count == kept.count)
        #expect(document.keys == kept.map { "k\($0)" })
        #expect(document.values == kept.map { .int64(Int64($0)) })
        for i in 0..<count {
            #expect(document["k\(i)"] == (i % 3 == 0 ? nil : .int64(Int64(i))))
            #expect(document.contains(key: "k\(i)") == (i % 3 != 0))
        }
        // A re-added key goes to the end; an existing key keeps its place.
        document["k0"] = "back"
        document["k1"] = "changed"
        #expect(document.keys.last == "k0")
        #expect(document.keys.first == "k1")
        #expect(document["k1"] == "changed")
        #expect(Array(document).count == document.count)
    }

    @Test("removing all but a few keys of a large document leaves a working small one")
    func shrink() {
        var document = Document()
        for i in 0..<1_000 { document["k\(i)"] = .int32(Int32(i)) }
        for i in 3..<1_000 { document["k\(i)"] = nil }
        #expect(document.keys == ["k0", "k1", "k2"])
        document["k1"] = nil
        #expect(document.keys == ["k0", "k2"])
        #expect(document == ["k0": .int32(0), "k2": .int32(2)])
    }

    @Test("equality and hashing ignore how a document was built")
    func equalityIgnoresHistory() {
        var edited = Document()
        for i in 0..<200 { edited["k\(i)"] = .int32(Int32(i)) }
        for i in 0..<150 { edited["k\(i)"] = nil }
        let fresh = Document((150..<200).map { ("k\($0)", BSONValue.int32(Int32($0))) })
        #expect(edited == fresh)
        #expect(edited.hashValue == fresh.hashValue)
        #expect(Set([BSONValue.document(edited), .document(fresh)]).count == 1)
        // Same keys in another order differ, as before.
        let reversed = Document((150..<200).reversed().map { ("k\($0)", BSONValue.int32(Int32($0))) })
        #expect(edited != reversed)
    }

    @Test("modifyValue changes a nested value in place, appends a new key and removes on nil")
    func modifyValue() {
        var document: Document = ["a": ["x": 1], "b": 2]
        document.modifyValue(forKey: "a") { value in
            guard var nested = value?.takeDocument() else { return }
            nested["y"] = 2
            value = .document(nested)
        }
        #expect(document == ["a": ["x": 1, "y": 2], "b": 2])
        document.modifyValue(forKey: "c") { value in value = "new" }
        document.modifyValue(forKey: "b") { value in value = nil }
        document.modifyValue(forKey: "absent") { _ in }
        #expect(document.keys == ["a", "c"])
        #expect(document["c"] == "new")
    }

    @Test("a document of literal pairs keeps the first position and the last value of a repeated key")
    func repeatedPairs() {
        let pairs = (0..<100).map { ("k\($0 % 40)", BSONValue.int32(Int32($0))) }
        let document = Document(pairs)
        #expect(document.count == 40)
        #expect(document.keys == (0..<40).map { "k\($0)" })
        #expect(document["k0"] == .int32(80))
        #expect(document["k39"] == .int32(79))
    }

    @Test("takeDocument and takeArray move the payload out and leave null")
    func take() {
        var value: BSONValue = ["a": 1]
        #expect(value.takeArray() == nil)
        #expect(value.takeDocument() == ["a": 1])
        #expect(value == .null)
        value = [1, 2]
        #expect(value.takeArray() == [1, 2])
        #expect(value.isNull)
    }
}
