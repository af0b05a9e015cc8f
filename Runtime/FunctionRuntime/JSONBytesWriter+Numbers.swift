extension JSONBytesWriter {
    /// An integer.
    public mutating func integer(_ value: Int64) {
        separate()
        appendDigits(value)
        needsComma = true
    }

    /// The decimal digits of `value` (a `-` first when negative), as `String(value)` writes them.
    private mutating func appendDigits(_ value: Int64) {
        reserve(20)
        var magnitude = value.magnitude
        var length = 1
        var rest = magnitude / 10
        while rest > 0 {
            length &+= 1
            rest /= 10
        }
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count &+= 1
        }
        var at = count &+ length
        repeat {
            at &-= 1
            base[at] = UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0")
            magnitude /= 10
        } while magnitude > 0
        count &+= length
    }

    /// A number as `JSONEncoder` writes a `Double`: its shortest round-trip `description`, without a trailing
    /// `.0`. NaN and infinities throw (the encoder refuses them too).
    public mutating func double(_ value: Double) throws(Unencodable) {
        guard value.isFinite else { throw Unencodable() }
        separate()
        // An integral value below 2^53 is its digits (its `description` is them and `.0`); -0 keeps its sign.
        if value.magnitude < 9_007_199_254_740_992, value.rounded(.towardZero) == value,
            value != 0 || value.sign == .plus
        {
            appendDigits(Int64(value))
            needsComma = true
            return
        }
        if writeShortDecimal(value) {
            needsComma = true
            return
        }
        var text = value.description
        text.withUTF8 { utf8 in
            let trimmed =
                utf8.count >= 2 && utf8[utf8.count - 1] == UInt8(ascii: "0")
                && utf8[utf8.count - 2] == UInt8(ascii: ".")
            put(UnsafeBufferPointer(rebasing: utf8[0..<(trimmed ? utf8.count - 2 : utf8.count)]))
        }
        needsComma = true
    }

    /// Writes `value` as `description` does when it has at most 3 decimals and a magnitude from 0.001 to 2^40:
    /// the fewest decimals `k` for which `m / 10^k` (`m` the nearest integer to `value * 10^k`) is `value` again.
    /// The division is exact in its operands and correctly rounded, so the text round-trips; below 2^40 a Double's
    /// spacing is under 10^-3, so no other text with `k` decimals does, and none with fewer. False (nothing
    /// written) otherwise.
    private mutating func writeShortDecimal(_ value: Double) -> Bool {
        let magnitude = value.magnitude
        guard magnitude >= 0.001, magnitude < 1_099_511_627_776 else { return false }
        var scale = 1.0
        for decimals in 1...3 {
            scale *= 10
            let scaled = (magnitude * scale).rounded()
            guard scaled / scale == magnitude else { continue }
            let digits = UInt64(scaled)
            let power = decimals == 1 ? 10 : decimals == 2 ? 100 : 1000 as UInt64
            if value < 0 { put(UInt8(ascii: "-")) }
            appendDigits(Int64(digits / power))
            reserve(4)
            base[count] = UInt8(ascii: ".")
            var fraction = digits % power
            for i in stride(from: decimals, through: 1, by: -1) {
                base[count &+ i] = UInt8(truncatingIfNeeded: fraction % 10) &+ UInt8(ascii: "0")
                fraction /= 10
            }
            count &+= decimals &+ 1
            return true
        }
        return false
    }
}
