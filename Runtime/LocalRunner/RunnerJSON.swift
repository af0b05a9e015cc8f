import Foundation

/// The runner's one JSON coder pair, made once: what it writes has sorted keys and unescaped slashes (the
/// bytes tests compare), what it reads is plain JSON.
enum RunnerJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    static let decoder = JSONDecoder()
}
