import Essentials

/// The top-level keys a reader of ``ExtendedJSONRows`` wants from every row, by slot (their position here).
///
/// Names are plain ASCII (they are compared as bytes); at most 64.
public struct ExtendedJSONFields: Sendable {
    /// The names, by slot.
    public let names: [String]
    /// The UTF-8 of each name, by slot.
    let utf8: [[UInt8]]
    /// The slots, grouped by the length of their name.
    let byLength: [[Int]]

    /// The fields `names`, each read into the slot of its position.
    public init(_ names: [String]) {
        precondition(names.count <= 64, "at most 64 fields")
        precondition(names.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "\\") } })
        self.names = names
        utf8 = names.map { Array($0.utf8) }
        var groups = [[Int]](repeating: [], count: (names.map(\.utf8.count).max() ?? 0) + 1)
        for (slot, name) in names.enumerated() { groups[name.utf8.count].append(slot) }
        byLength = groups
    }

    /// The slot of the key `bytes[range]`, nil when it is not one of the fields. `hint` is tried first: rows are
    /// usually written in the fields' order, so the slot after the previous key's.
    func slot(of bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, hint: Int) -> Int? {
        let key = UnsafeBufferPointer(rebasing: bytes[range])
        if hint < names.count, Self.equal(utf8[hint], key) { return hint }
        guard range.count < byLength.count else { return nil }
        return byLength[range.count].first { Self.equal(utf8[$0], key) }
    }

    private static func equal(_ name: [UInt8], _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard name.count == key.count else { return false }
        return name.withUnsafeBufferPointer { name in
            var i = 0
            while i < key.count, name[i] == key[i] { i += 1 }
            return i == key.count
        }
    }
}

/// Rows of a Data API answer (`find`'s `documents` array) read without a ``Document`` per row: each row keeps
/// only the values of the wanted ``ExtendedJSONFields``, in one buffer for all rows.
public struct ExtendedJSONRows: Sendable {
    /// The fields every row holds.
    public let fields: ExtendedJSONFields
    /// `count × fields.names.count` values, row after row; nil where a row lacks the field.
    private var values: [BSONValue?]
    /// The number of rows.
    public private(set) var count: Int

    init(fields: ExtendedJSONFields) {
        self.fields = fields
        values = []
        count = 0
    }

    /// The rows of `documents`, each reduced to `fields`.
    public init(documents: [Document], fields: ExtendedJSONFields) {
        self.init(fields: fields)
        values.reserveCapacity(documents.count * fields.names.count)
        for document in documents {
            for name in fields.names { values.append(document[name]) }
        }
        count = documents.count
    }

    /// The value of field `slot` in row `row`; nil when the row does not have it.
    public subscript(row: Int, slot: Int) -> BSONValue? { values[row * fields.names.count + slot] }

    /// Starts a row of nils.
    mutating func appendRow() {
        values.append(contentsOf: repeatElement(nil, count: fields.names.count))
        count += 1
    }

    /// Sets field `slot` of the last row.
    mutating func setLast(_ slot: Int, _ value: BSONValue) {
        values[(count - 1) * fields.names.count + slot] = value
    }

    /// Makes room for `rows` rows.
    mutating func reserveRows(_ rows: Int) { values.reserveCapacity(rows * fields.names.count) }
}

extension ExtendedJSON {
    /// The rows of the array under `key` in the reply object `bytes`, or nil when the reply is not exactly the
    /// plain shape this reads: an object (no other top-level value) whose `key` is an array of objects, every
    /// key plain ASCII without escapes, no duplicate key, no row that could be an Extended JSON wrapper, and nothing
    /// ``parseDocument(_:maximumDepth:)`` would refuse. The caller then parses the reply the general way,
    /// which gives the same values (or the precise error); the rows read here are what it would give.
    public static func rows(
        in bytes: [UInt8], key: String, fields: ExtendedJSONFields, maximumDepth: Int = maximumDepth
    ) -> ExtendedJSONRows? {
        var reader = RowsReader(parser: Parser(bytes: bytes, maximumDepth: maximumDepth), fields: fields)
        return try? reader.reply(key: Array(key.utf8))
    }
}

/// The reader of ``ExtendedJSON/rows(in:key:fields:maximumDepth:)``: any throw means "not the plain shape".
private struct RowsReader {
    var parser: ExtendedJSON.Parser
    let fields: ExtendedJSONFields
    var rows: ExtendedJSONRows

    init(parser: ExtendedJSON.Parser, fields: ExtendedJSONFields) {
        self.parser = parser
        self.fields = fields
        rows = ExtendedJSONRows(fields: fields)
    }

    struct NotPlain: Error {}

    var bytes: [UInt8] { parser.bytes }

    /// `{…}` at depth 0 with `key` read as rows, other members parsed and dropped; then the end of the input.
    mutating func reply(key: [UInt8]) throws -> ExtendedJSONRows {
        parser.skipWhitespace()
        guard parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "{") else { throw NotPlain() }
        parser.index += 1
        var found = false
        var others: [Range<Int>] = []
        if try !objectEnds() {
            repeat {
                let name = try plainKey()
                if bytes[name].elementsEqual(key) {
                    guard !found else { throw NotPlain() }
                    found = true
                    try rowArray()
                } else {
                    try remember(name, in: &others)
                    _ = try parser.parseValue(depth: 1)
                }
            } while try memberFollows()
        }
        parser.skipWhitespace()
        guard found, parser.index == bytes.count else { throw NotPlain() }
        return rows
    }

    /// `[{…}, …]` at depth 1.
    mutating func rowArray() throws {
        guard parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "[") else { throw NotPlain() }
        parser.index += 1
        parser.skipWhitespace()
        if parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "]") {
            parser.index += 1
            return
        }
        rows.reserveRows(64)
        while true {
            parser.skipWhitespace()
            try row()
            parser.skipWhitespace()
            guard parser.index < bytes.count else { throw NotPlain() }
            if bytes[parser.index] == UInt8(ascii: ",") {
                parser.index += 1
                continue
            }
            guard bytes[parser.index] == UInt8(ascii: "]") else { throw NotPlain() }
            parser.index += 1
            return
        }
    }

    /// One row object at depth 2, its members' values at depth 3.
    mutating func row() throws {
        guard parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "{") else { throw NotPlain() }
        parser.index += 1
        rows.appendRow()
        guard try !objectEnds() else { return }
        var seen: UInt64 = 0
        var others: [Range<Int>] = []
        var first = true
        var hint = 0
        repeat {
            let name = try plainKey()
            // An object whose first key starts with `$` may be a wrapper (not a row): left to the general parse.
            if first, name.first.map({ bytes[$0] == UInt8(ascii: "$") }) == true { throw NotPlain() }
            first = false
            let slot = bytes.withUnsafeBufferPointer { fields.slot(of: $0, name, hint: hint) }
            if let slot { hint = slot + 1 }
            let value = try parser.parseValue(depth: 3)
            if let slot {
                guard seen & (1 << slot) == 0 else { throw NotPlain() }
                seen |= 1 << slot
                rows.setLast(slot, value)
            } else {
                try remember(name, in: &others)
            }
        } while try memberFollows()
    }

    /// Adds the key at `name` to `keys`; throws when it is there already (a duplicate, which the general parse
    /// refuses). Keys are ASCII, so equal bytes are equal strings.
    func remember(_ name: Range<Int>, in keys: inout [Range<Int>]) throws {
        guard !keys.contains(where: { bytes[$0].elementsEqual(bytes[name]) }) else { throw NotPlain() }
        keys.append(name)
    }

    /// An ASCII key without escapes (its bytes' range) and the colon after it, from the whitespace before.
    mutating func plainKey() throws -> Range<Int> {
        parser.skipWhitespace()
        guard parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "\"") else { throw NotPlain() }
        let start = parser.index + 1
        // A quote ends the key; an escape, a control character or a non-ASCII byte makes it not plain.
        let (end, isASCII) = bytes.withUnsafeBufferPointer { JSONEscaping.plainRun($0, from: start) }
        guard end < bytes.count, isASCII, bytes[end] == UInt8(ascii: "\"") else { throw NotPlain() }
        parser.index = end + 1
        parser.skipWhitespace()
        guard parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: ":") else { throw NotPlain() }
        parser.index += 1
        parser.skipWhitespace()
        return start..<end
    }

    /// After `{` (and whitespace): true past an immediate `}`.
    mutating func objectEnds() throws -> Bool {
        parser.skipWhitespace()
        guard parser.index < bytes.count else { throw NotPlain() }
        guard bytes[parser.index] == UInt8(ascii: "}") else { return false }
        parser.index += 1
        return true
    }

    /// After a member: true past a `,`, false past the closing `}`.
    mutating func memberFollows() throws -> Bool {
        parser.skipWhitespace()
        guard parser.index < bytes.count else { throw NotPlain() }
        if bytes[parser.index] == UInt8(ascii: ",") {
            parser.index += 1
            return true
        }
        guard bytes[parser.index] == UInt8(ascii: "}") else { throw NotPlain() }
        parser.index += 1
        return false
    }
}
