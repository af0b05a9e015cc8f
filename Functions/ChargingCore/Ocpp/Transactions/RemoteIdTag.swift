import Crypto

/// The idTag a remote start uses for a user who has no Accepted IdTag.
public enum RemoteIdTag {
    /// `"R"` + the first 19 lowercase hex digits of SHA-256(`userId`): 20 characters (a CiString20), the same for
    /// the same user every time, and never an operator-chosen tag by accident of length or prefix alone.
    public static func forUser(_ userId: String) -> String {
        let digest = SHA256.hash(data: Array(userId.utf8))
        let hex = digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }
        return "R" + String(hex.joined().prefix(19))
    }
}
