import Essentials

/// Writes JSON the way ``JSONCoding/encoder`` does: no whitespace, `"`, `\` and control characters escaped
/// (`\b \f \n \r \t`, else `\u00xx`), everything else as it is, numbers as `JSONEncoder` writes them. Object
/// keys come in the order the caller writes them: write them in UTF-8 byte order (``object(_:)`` sorts its own)
/// for the encoder's `.sortedKeys` output.
///
/// Used for the JSON written on every invocation (events, responses, answers of ``JSONBytesEncodable`` types)
/// instead of going through the encoder's value tree.
///
/// The writer owns its buffer (noncopyable: nothing else can hold or change it), so a write is a bounds check and
/// a store, without the copy-on-write check and the generic copy of an array append.
public struct JSONBytesWriter: ~Copyable, @unchecked Sendable {
    /// A value JSON cannot carry (a NaN or infinite number): the caller falls back to ``JSONCoding/encoder``,
    /// which then gives its own error.
    public struct Unencodable: Error, Sendable {}

    // The buffer, its length and the comma state are the module's (JSONBytesWriter+Numbers.swift writes too).
    var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    var count = 0
    var needsComma = false
    /// How many objects and arrays are open.
    private var depth = 0
    /// Whether the outermost object has a `statusCode` member.
    private var namedStatusCode = false
    /// Whether the JSON is written as the content of a JSON string: every quote and backslash of it escaped
    /// once more (`{\"a\":\"x\"}`), ready to go between the quotes of a string member.
    private let asStringContent: Bool

    /// A writer whose buffer holds `capacity` bytes before it grows.
    public init(capacity: Int) { self.init(capacity: capacity, asStringContent: false) }

    /// A writer of JSON as string content (see ``asStringContent``) when `asStringContent` is true.
    init(capacity: Int, asStringContent: Bool) {
        self.capacity = max(capacity, 64)
        self.asStringContent = asStringContent
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The JSON written so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Whether what was written is one whole object without a `statusCode` member of its own (format 2.0 takes
    /// such a function output as the body itself, see ``APIGatewayV2Response/outputBytes()``).
    var isObjectWithoutStatusCode: Bool {
        count > 0 && base[0] == UInt8(ascii: "{") && depth == 0 && !namedStatusCode
    }

    /// Room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if capacity &- count < extra { grow(extra) }
    }

    private mutating func grow(_ extra: Int) {
        let larger = max(capacity * 2, count + extra)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        moved.initialize(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = larger
    }

    @inline(__always)
    mutating func put(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count &+= 1
    }

    @inline(__always)
    mutating func put(_ run: UnsafeBufferPointer<UInt8>) {
        reserve(run.count)
        if let source = run.baseAddress { (base + count).initialize(from: source, count: run.count) }
        count &+= run.count
    }

    /// `{`.
    public mutating func beginObject() { open(UInt8(ascii: "{")) }

    /// `}`.
    public mutating func endObject() { close(UInt8(ascii: "}")) }

    /// `[`.
    public mutating func beginArray() { open(UInt8(ascii: "[")) }

    /// `]`.
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func open(_ bracket: UInt8) {
        separate()
        put(bracket)
        depth &+= 1
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        put(bracket)
        depth &-= 1
        needsComma = true
    }

    /// An object key (a plain ASCII name, nothing to escape) and its colon.
    public mutating func key(_ name: StaticString) {
        separate()
        let length = name.utf8CodeUnitCount
        if depth == 1, length == 10,
            UnsafeBufferPointer(start: name.utf8Start, count: length).elementsEqual("statusCode".utf8)
        {
            namedStatusCode = true
        }
        reserve(length &+ 5)
        quote()
        (base + count).initialize(from: name.utf8Start, count: length)
        count &+= length
        quote()
        base[count] = UInt8(ascii: ":")
        count &+= 1
        needsComma = false
    }

    /// A string's quote (`\"` as string content); the caller reserved room for it.
    @inline(__always)
    private mutating func quote() {
        if asStringContent {
            base[count] = UInt8(ascii: "\\")
            count &+= 1
        }
        base[count] = UInt8(ascii: "\"")
        count &+= 1
    }

    /// `escaped` (string content, e.g. from a writer with ``asStringContent``) between quotes, as it is.
    mutating func escapedString(_ escaped: [UInt8]) {
        separate()
        reserve(escaped.count &+ 2)
        base[count] = UInt8(ascii: "\"")
        escaped.withUnsafeBufferPointer {
            if let source = $0.baseAddress { (base + (count &+ 1)).initialize(from: source, count: $0.count) }
        }
        count &+= escaped.count &+ 1
        base[count] = UInt8(ascii: "\"")
        count &+= 1
        needsComma = true
    }

    /// A string member; nothing when the value is nil (as `encodeIfPresent`).
    public mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    /// A string member; `null` when the value is nil (as `encode` of an optional).
    public mutating func memberOrNull(_ name: StaticString, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }

    /// A string value.
    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { write(string: $0) }
    }

    /// A string value from its UTF-8 (valid UTF-8: it is written as it is, escapes aside).
    public mutating func string(utf8: [UInt8]) {
        utf8.withUnsafeBufferPointer { write(string: $0) }
    }

    private mutating func write(string utf8: UnsafeBufferPointer<UInt8>) {
        separate()
        // A short string gets room for the worst case (every byte `\u00xx`) rather than a counting pass.
        reserve((utf8.count <= 64 ? utf8.count &* 6 &+ 8 : JSONEscaping.writeCapacity(utf8)) &+ 4)
        quote()
        let written = JSONEscaping.write(utf8, to: base + count)
        if asStringContent, written != utf8.count {
            // It had escapes (each one longer than its byte): as string content they are escaped once more.
            let once = Array(UnsafeBufferPointer(start: base + count, count: written))
            once.withUnsafeBufferPointer { once in
                reserve(JSONEscaping.writeCapacity(once) &+ 2)
                count &+= JSONEscaping.write(once, to: base + count)
            }
        } else {
            count &+= written
        }
        quote()
        needsComma = true
    }

    /// `true` or `false`.
    public mutating func bool(_ value: Bool) {
        separate()
        let word: StaticString = value ? "true" : "false"
        put(UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
        needsComma = true
    }

    /// `null`.
    public mutating func null() {
        separate()
        let word: StaticString = "null"
        put(UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
        needsComma = true
    }

    /// An array of strings.
    public mutating func array(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// An object of string members, keys in UTF-8 byte order.
    public mutating func object(_ values: [String: String]) {
        beginObject()
        if depth == 1, values["statusCode"] != nil { namedStatusCode = true }
        for (name, value) in values.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            string(name)
            put(UInt8(ascii: ":"))
            needsComma = false
            string(value)
        }
        endObject()
    }

    mutating func separate() {
        if needsComma { put(UInt8(ascii: ",")) }
    }
}
