import Essentials

// Parsing: a byte-level JSON reader that builds ``BSONValue``s; a one-key object that is an EJSON wrapper becomes
// its typed value (`ExtendedJSON.unwrapped`) without a document being built.
// Duplicate keys are found by the document's own lookup, O(1) per key however large the object.
extension ExtendedJSON {
    struct Parser {
        /// Whitespace, literals, numbers and strings: the lexical layer shared with ChargingWire's OcppJSON.
        var scanner: JSONScanner
        let maximumDepth: Int

        var bytes: [UInt8] { scanner.bytes }
        var index: Int {
            get { scanner.index }
            set { scanner.index = newValue }
        }

        init(bytes: [UInt8], maximumDepth: Int) {
            self.scanner = JSONScanner(bytes)
            self.maximumDepth = maximumDepth
        }

        func error(_ message: String) -> DataAPIError {
            DataAPIError(.invalidParameter, "invalid JSON at byte \(index): \(message)")
        }

        mutating func skipWhitespace() { scanner.skipWhitespace() }

        /// Runs one scanner step, its failure as this parser's error.
        mutating func scan<T>(_ step: (inout JSONScanner) throws(JSONScanner.Failure) -> T) throws(DataAPIError) -> T {
            do throws(JSONScanner.Failure) {
                return try step(&scanner)
            } catch {
                throw self.error(error.reason)
            }
        }

        mutating func parseValue(depth: Int) throws(DataAPIError) -> BSONValue {
            guard depth <= maximumDepth else {
                throw error("nesting deeper than \(maximumDepth)")
            }
            guard index < bytes.count else { throw error("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw error("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString) throws(DataAPIError) {
            try scan { scanner throws(JSONScanner.Failure) in try scanner.literal(word) }
        }

        mutating func parseNumber() throws(DataAPIError) -> BSONValue {
            switch try scan({ scanner throws(JSONScanner.Failure) in try scanner.number() }) {
            case .integer(let value): return .integer(value)
            case .double(let value): return .double(value)
            }
        }

        mutating func parseString() throws(DataAPIError) -> String {
            try scan { scanner throws(JSONScanner.Failure) in try scanner.string() }
        }

        mutating func parseArray(depth: Int) throws(DataAPIError) -> BSONValue {
            index += 1
            var items = [BSONValue]()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw error("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw error("expected , or ]") }
                index += 1
                return .array(items)
            }
        }

        /// An object; a one-key object that is an EJSON wrapper becomes its typed value without a document.
        mutating func parseObject(depth: Int) throws(DataAPIError) -> BSONValue {
            if depth + 2 <= maximumDepth, let wrapper = compactWrapper() { return wrapper }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .document(Document())
            }
            let (firstKey, firstValue) = try parseMember(depth: depth)
            guard try objectContinues() else {
                return try ExtendedJSON.unwrapped(key: firstKey, value: firstValue)
                    ?? .document(Document([(firstKey, firstValue)]))
            }
            var document = Document()
            document.reserveCapacity(16)
            document.updateValue(firstValue, forKey: firstKey)
            repeat {
                let (key, value) = try parseMember(depth: depth)
                guard document.updateValue(value, forKey: key) == nil else {
                    throw error("duplicate key \"\(key)\"")
                }
            } while try objectContinues()
            return .document(document)
        }

        /// `"key": value`, from the whitespace before the key.
        private mutating func parseMember(depth: Int) throws(DataAPIError) -> (String, BSONValue) {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected :") }
            index += 1
            skipWhitespace()
            return (key, try parseValue(depth: depth + 1))
        }

        /// After a member: true past a `,`, false past the closing `}`.
        private mutating func objectContinues() throws(DataAPIError) -> Bool {
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                return true
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw error("expected , or }") }
            index += 1
            return false
        }
    }
}
