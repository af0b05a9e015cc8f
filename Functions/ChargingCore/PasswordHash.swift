import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A salted password hash: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) with a 16-byte random salt and a 32-byte key.
///
/// PBKDF2 is computed here over swift-crypto's `HMAC<SHA256>` (the `Crypto` product, FoundationEssentials only):
/// swift-crypto's own `KDF.Insecure.PBKDF2` lives in the underscored `_CryptoExtras` product, which is not API-stable
/// and would add swift-asn1 to every function binary. The RFC 7914 §11 test vectors pin the result.
///
/// The passwords hashed here are generated (``ChargerPassword``, 192 random bits), so the iteration count guards
/// against nothing a brute force could reach anyway; ``defaultIterations`` keeps an MQTT sign-in (one
/// MqttAuthorizer invocation) in the low milliseconds. The count is stored with every hash, so raising it later
/// leaves existing hashes readable.
public struct PasswordHash: Sendable, Hashable {
    /// The scheme name stored with the hash.
    public static let scheme = "pbkdf2-sha256"
    /// Iterations of new hashes.
    public static let defaultIterations = 10_000
    /// The accepted iteration counts of stored hashes (a stored count outside is refused, not computed).
    public static let iterationRange = 1...1_000_000
    /// Salt bytes of new hashes.
    public static let saltBytes = 16
    /// Derived key bytes.
    public static let keyBytes = 32

    /// The PBKDF2 iteration count.
    public var iterations: Int
    /// The salt.
    public var salt: [UInt8]
    /// The derived key.
    public var hash: [UInt8]

    public init(iterations: Int, salt: [UInt8], hash: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    /// A new hash of `password` with a fresh random salt.
    public static func make(password: String, iterations: Int = defaultIterations) -> PasswordHash {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<saltBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return PasswordHash(
            iterations: iterations, salt: salt,
            hash: pbkdf2(password: Array(password.utf8), salt: salt, iterations: iterations, length: keyBytes))
    }

    /// True when `password` hashes to ``hash`` with this salt and iteration count; the comparison takes the same
    /// time wherever the first difference is.
    public func verifies(_ password: [UInt8]) -> Bool {
        guard Self.iterationRange.contains(iterations), !hash.isEmpty, hash.count <= 64 else { return false }
        let candidate = Self.pbkdf2(password: password, salt: salt, iterations: iterations, length: hash.count)
        return Self.constantTimeEqual(candidate, hash)
    }

    /// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2): `length` bytes of key from `password` and `salt`.
    public static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int, length: Int) -> [UInt8] {
        precondition(iterations > 0 && length > 0, "PBKDF2 needs at least one iteration and one byte of key")
        let keyed = HMAC<SHA256>(key: SymmetricKey(data: password))
        var key: [UInt8] = []
        key.reserveCapacity(length)
        var block: UInt32 = 1
        while key.count < length {
            var first = keyed
            first.update(data: salt)
            first.update(data: [
                UInt8(block >> 24), UInt8((block >> 16) & 0xFF), UInt8((block >> 8) & 0xFF), UInt8(block & 0xFF),
            ])
            var u = Array(first.finalize())
            var t = u
            for _ in 1..<iterations {
                var next = keyed
                next.update(data: u)
                u = Array(next.finalize())
                for i in t.indices { t[i] ^= u[i] }
            }
            key += t.prefix(length - key.count)
            block += 1
        }
        return key
    }

    /// Equality of two byte strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

/// Generated charger passwords: 24 random bytes (192 bits) as unpadded base64url text, 32 characters from
/// `[A-Za-z0-9_-]`, safe in URLs, JSON, shell arguments and `mosquitto_pub -P`.
public enum ChargerPassword {
    /// Random bytes in a password.
    public static let randomBytes = 24

    /// A new password from the system's cryptographic random source.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return base64URL((0..<randomBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Unpadded base64url (RFC 4648 §5) of `bytes`.
    public static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        text = String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }
}
