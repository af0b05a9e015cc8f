import Foundation

/// The AWS-style credential pair of one data directory: generated once (`AKIA` + 16 characters, a 40-character
/// secret), kept in `<data-dir>/aws-credentials.json` (mode 0600), given to every worker as
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_REGION`, and the only pair the runner's IoT routes
/// accept (SigV4, service `iotdata`), so functions sign locally exactly as they do in the cloud.
public struct WorkerCredentials: Sendable, Equatable, Codable {
    /// The access key id, `AKIA` + 16 of `A-Z2-7`.
    public var accessKeyId: String
    /// The secret access key: 40 of `A-Za-z0-9+/`.
    public var secretAccessKey: String

    public init(accessKeyId: String, secretAccessKey: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
    }

    /// A new random pair from the system generator.
    public static func generate() -> WorkerCredentials {
        var generator = SystemRandomNumberGenerator()
        func random(_ count: Int, of alphabet: String) -> String {
            let characters = Array(alphabet)
            return String((0..<count).map { _ in characters.randomElement(using: &generator)! })
        }
        return WorkerCredentials(
            accessKeyId: "AKIA" + random(16, of: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
            secretAccessKey: random(40, of: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"))
    }

    /// The pair stored at `path`, or a new one when the file is missing or unreadable. Reads only: ``store(at:)``
    /// writes it once the data directory exists.
    static func storedOrNew(at path: String) -> WorkerCredentials {
        if let data = FileManager.default.contents(atPath: path),
            let stored = try? RunnerJSON.decoder.decode(WorkerCredentials.self, from: data),
            stored.accessKeyId.hasPrefix("AKIA"), stored.accessKeyId.count == 20, stored.secretAccessKey.count == 40
        {
            return stored
        }
        return generate()
    }

    /// Writes the pair to `path` (mode 0600) unless the file already holds it.
    func store(at path: String) throws(LocalRunnerError) {
        if let data = FileManager.default.contents(atPath: path),
            (try? RunnerJSON.decoder.decode(WorkerCredentials.self, from: data)) == self
        {
            return
        }
        let data: Data
        do {
            data = try RunnerJSON.encoder.encode(self) + Data("\n".utf8)
        } catch {
            throw LocalRunnerError(.io, "cannot encode the worker credentials")
        }
        try SecretFile.store(data, at: path)
    }

    /// The region the workers sign for: a function's `AWS_REGION` from the template (or `--env`), else the
    /// runner's own `AWS_REGION` / `AWS_DEFAULT_REGION`, else the `AWS::Region` pseudo parameter (`us-east-1`).
    static func region(template: TemplateModel, environment: [String: String]) -> String {
        let declared = template.functions.compactMap { $0.environment["AWS_REGION"] }
            .first { $0 != TemplateLoader.runnerProvidedPlaceholder && !$0.isEmpty }
        return declared ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"]
            ?? TemplateLoader.pseudoParameters["AWS::Region"] ?? "us-east-1"
    }

    /// What every worker gets: the pair and the region (no session token: this pair has none).
    func environment(region: String) -> [String: String] {
        ["AWS_ACCESS_KEY_ID": accessKeyId, "AWS_SECRET_ACCESS_KEY": secretAccessKey, "AWS_REGION": region]
    }

    /// The verifier of the runner's IoT routes: this pair, `region`, service `iotdata`.
    func iotDataVerifier(region: String) -> SigV4Verifier {
        SigV4Verifier(credentials: [accessKeyId: secretAccessKey], region: region, service: "iotdata")
    }
}
