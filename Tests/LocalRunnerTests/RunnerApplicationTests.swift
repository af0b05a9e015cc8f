import Foundation
import Testing

@testable import LocalRunner

/// `buildApplication` only wires; the data directory and its files appear when the infrastructure starts.
@Suite("Building the runner")
struct RunnerApplicationTests {
    static let template = """
        Resources:
          Hello:
            Type: AWS::Serverless::Function
            Properties:
              Events:
                Get: {Type: HttpApi, Properties: {Method: GET, Path: /hello}}
        """

    func configuration(dataDirectory: String) throws -> RunnerConfiguration {
        let dir = try TestEnvironment.temporaryDirectory()
        try Self.template.write(toFile: "\(dir)/template.yaml", atomically: true, encoding: .utf8)
        var configuration = RunnerConfiguration()
        configuration.templatePath = "\(dir)/template.yaml"
        configuration.dataDirectory = dataDirectory
        configuration.functionsDirectory = dir
        return configuration
    }

    @Test("buildApplication creates no directory and writes no file; start-up makes the data dir, key and store")
    func buildWritesNothing() async throws {
        let data = try TestEnvironment.temporaryDirectory() + "/not/yet/there"
        var configuration = try configuration(dataDirectory: data)
        // An MQTT URL that fails after the data directory work, so start-up stops before any broker.
        configuration.mqttURL = "mqtt://host:not-a-port"
        let runner = try await buildApplication(configuration: configuration)
        #expect(!FileManager.default.fileExists(atPath: data))

        await #expect(throws: LocalRunnerError(.configuration, "bad port in MQTT URL: mqtt://host:not-a-port")) {
            try await runner.infrastructure.startUp()
        }
        let directory = DataDirectory(path: data)
        let key = try String(contentsOfFile: directory.dataAPIKeyFile, encoding: .utf8)
        #expect(key == runner.infrastructure.dataAPIKey + "\n")
        let mode = try FileManager.default.attributesOfItem(atPath: directory.dataAPIKeyFile)[.posixPermissions]
        #expect((mode as? NSNumber)?.intValue == 0o600)
        #expect(FileManager.default.fileExists(atPath: directory.sqliteFile))
        #expect(!FileManager.default.fileExists(atPath: directory.deadLetterFile))
    }

    @Test("a data directory that cannot be created fails start-up with an io error naming it")
    func unusableDataDirectory() async throws {
        let parent = try TestEnvironment.temporaryDirectory()
        let blocker = "\(parent)/a-file"
        try "not a directory".write(toFile: blocker, atomically: true, encoding: .utf8)
        let runner = try await buildApplication(configuration: configuration(dataDirectory: "\(blocker)/data"))
        do {
            try await runner.infrastructure.startUp()
            Issue.record("start-up succeeded on an unusable data directory")
        } catch {
            #expect(error.code == .io)
            #expect(error.message.contains("\(blocker)/data"))
        }
    }
}
