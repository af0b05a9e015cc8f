/// RFC 3986 percent-encoding as AWS uses it (SigV4's `UriEncode`, the IoT Data Plane's topic in a URL): every byte
/// but the unreserved `A-Z a-z 0-9 - _ . ~` becomes `%XX` with upper-case hex. One implementation for the
/// function side (the topic of a publish) and the runner (the SigV4 verifier).
public enum PercentEncoding {
    /// `bytes` with every byte but the unreserved ones percent-encoded.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for c in bytes {
            if isUnreserved(c) {
                out.append(c)
            } else {
                out += [0x25, digits[Int(c >> 4)], digits[Int(c & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `c` is an RFC 3986 unreserved character.
    public static func isUnreserved(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x2E
            || c == 0x5F || c == 0x7E
    }
}
