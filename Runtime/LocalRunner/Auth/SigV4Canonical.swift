import Essentials

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=AK/date/region/service/aws4_request,
/// SignedHeaders=a;b, Signature=hex`.
struct SigV4Authorization: Sendable, Equatable {
    var accessKey: String
    var date: String
    var region: String
    var service: String
    var terminator: String
    var signedHeaders: [String]
    var signature: String

    /// `date/region/service/aws4_request`, as the string to sign carries it.
    var scope: String { "\(date)/\(region)/\(service)/\(terminator)" }

    init(parsing header: String) throws(SigV4Error) {
        let prefix = "AWS4-HMAC-SHA256 "
        guard header.hasPrefix(prefix) else {
            throw SigV4Error(.incompleteSignature, "Unsupported Authorization algorithm; expected AWS4-HMAC-SHA256")
        }
        var parts: [String: String] = [:]
        for item in header.dropFirst(prefix.count).split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            parts[pair[0].trimmingSpaces()] = pair[1].trimmingSpaces()
        }
        guard let credential = parts["Credential"], let signed = parts["SignedHeaders"],
            let signature = parts["Signature"]
        else {
            throw SigV4Error(
                .incompleteSignature,
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.")
        }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, !scope[0].isEmpty else {
            throw SigV4Error(
                .incompleteSignature,
                "Credential must have the form <key>/<date>/<region>/<service>/aws4_request.")
        }
        accessKey = scope[0]
        date = scope[1]
        region = scope[2]
        service = scope[3]
        terminator = scope[4]
        signedHeaders = signed.split(separator: ";").map { String($0) }
        self.signature = signature
    }
}

extension Substring {
    /// Without leading and trailing spaces, trimmed on the UTF-8 bytes: a space is one byte that never occurs
    /// inside another character's encoding, so no character is split (and no grapheme walk is paid per header).
    fileprivate func trimmingSpaces() -> String {
        let bytes = utf8
        let space = UInt8(ascii: " ")
        guard let first = bytes.firstIndex(where: { $0 != space }), let last = bytes.lastIndex(where: { $0 != space })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
