import Foundation
import FunctionRuntime
import Logging
import Synchronization
import Testing

@testable import LocalRunner

/// A Lambda service stand-in for schedules: records every scheduled event, holds each run until released.
final class FakeScheduleInvoker: FunctionInvoker {
    struct State {
        var events: [(function: String, event: ScheduledEvent)] = []
        var running = 0
        var mostRunning = 0
    }

    let state = Mutex(State())
    let gate: AsyncStream<Void>
    let release: AsyncStream<Void>.Continuation
    let holds: Bool

    /// `holds`: each run waits for a ``release`` before answering.
    init(holds: Bool = false) {
        self.holds = holds
        (gate, release) = AsyncStream.makeStream(of: Void.self)
    }

    func invoke(function: String, payload: [UInt8], requestID: String) async -> InvocationOutcome {
        guard let event = try? JSONCoding.decoder.decode(ScheduledEvent.self, from: Data(payload)) else {
            return .functionError(Array(#"{"errorMessage":"not a scheduled event"}"#.utf8))
        }
        state.withLock {
            $0.events.append((function, event))
            $0.running += 1
            $0.mostRunning = max($0.mostRunning, $0.running)
        }
        if holds {
            var iterator = gate.makeAsyncIterator()
            _ = await iterator.next()
        }
        state.withLock { $0.running -= 1 }
        return .success(Array("null".utf8))
    }

    var count: Int { state.withLock { $0.events.count } }
}

@Suite("Schedule events: template parsing and the schedule service")
struct ScheduleServiceTests {
    let loader = TemplateLoader()

    static func template(_ events: String) -> String {
        """
        Resources:
          Sweep:
            Type: AWS::Serverless::Function
            Properties:
              Events:
        \(events)
        """
    }

    @Test("the repo's template: ExpireSessions runs every minute with its idle timeout")
    func repositoryTemplate() throws {
        let model = try loader.load(path: "\(TestEnvironment.root)/template.yaml")
        let expire = try #require(model.function(named: "ExpireSessions"))
        #expect(
            expire.schedules == [
                ScheduleDefinition(name: "ExpireSessionsEvery", expression: "rate(1 minute)", rateSeconds: 60)
            ])
        #expect(expire.environment["SESSION_IDLE_TIMEOUT_MINUTES"] == "30")
        #expect(expire.environment["EXPIRE_BATCH_LIMIT"] == "500")
        #expect(expire.routes.isEmpty && expire.topics.isEmpty)
        #expect(model.functions.filter { !$0.schedules.isEmpty }.map(\.logicalId) == ["ExpireSessions"])
    }

    @Test("rate() units, cron() with six fields, Name, Enabled and State")
    func parsesSchedules() throws {
        let model = try loader.parse(
            yaml: Self.template(
                """
                        A: {Type: Schedule, Properties: {Schedule: rate(5 minutes)}}
                        B: {Type: Schedule, Properties: {Schedule: rate(1 hour), Name: hourly, Enabled: false}}
                        C: {Type: Schedule, Properties: {Schedule: rate(2 days), State: DISABLED}}
                        D: {Type: Schedule, Properties: {Schedule: "cron(0/5 8-17 ? * MON-FRI *)"}}
                """))
        let schedules = try #require(model.function(named: "Sweep")).schedules.sorted { $0.name < $1.name }
        #expect(
            schedules == [
                ScheduleDefinition(name: "SweepA", expression: "rate(5 minutes)", rateSeconds: 300),
                ScheduleDefinition(name: "SweepC", expression: "rate(2 days)", rateSeconds: 172_800, enabled: false),
                ScheduleDefinition(name: "SweepD", expression: "cron(0/5 8-17 ? * MON-FRI *)", rateSeconds: nil),
                ScheduleDefinition(name: "hourly", expression: "rate(1 hour)", rateSeconds: 3600, enabled: false),
            ])
        let dump = try TemplateDump.json(model)
        #expect(dump.contains(#""rateSeconds" : 300"#))
    }

    @Test(
        "bad schedules are startup errors naming the function and event",
        arguments: [
            ("rate(1 minutes)", "singular for 1"), ("rate(5 minute)", "singular for 1"),
            ("rate(0 minutes)", "positive integer"), ("rate(5 weeks)", "positive integer"),
            ("cron(0 12 * * ?)", "EventBridge needs 6"), ("cron(0 12 * * MON *)", "must be ?"),
            ("every minute", "neither rate"),
        ])
    func badExpressions(expression: String, expected: String) throws {
        let yaml = Self.template("        A: {Type: Schedule, Properties: {Schedule: \"\(expression)\"}}")
        let error = try #require(throws: LocalRunnerError.self) { try loader.parse(yaml: yaml) }
        #expect(error.message.contains("function Sweep: event A"), "\(error.message)")
        #expect(error.message.contains(expected), "\(error.message)")
    }

    @Test("unsupported Schedule properties are refused, not ignored")
    func unsupportedProperties() throws {
        let yaml = Self.template(
            "        A: {Type: Schedule, Properties: {Schedule: rate(1 minute), Input: '{\"x\":1}'}}")
        let error = try #require(throws: LocalRunnerError.self) { try loader.parse(yaml: yaml) }
        #expect(error.message.contains("Schedule property Input is not supported"))
    }

    @Test("a rule fires every period with a real scheduled event; --schedule-interval replaces the rate")
    func firesOnItsRate() async throws {
        let model = try loader.parse(
            yaml: Self.template("        Every: {Type: Schedule, Properties: {Schedule: rate(1 day)}}"))
        let invoker = FakeScheduleInvoker()
        let service = ScheduleService(
            template: model, invoker: invoker, interval: .milliseconds(50), logger: Logger(label: "test"))
        let rule = try #require(service.rules.first)
        let task = Task { await ScheduleService.tick(rule, every: .milliseconds(50)) }
        try await eventually("three scheduled runs") { invoker.count >= 3 }
        task.cancel()
        _ = await task.result
        let first = try #require(invoker.state.withLock { $0.events.first })
        #expect(first.function == "Sweep")
        #expect(first.event.detailType == "Scheduled Event")
        #expect(first.event.source == "aws.events")
        #expect(first.event.ruleARN == "arn:aws:events:us-east-1:000000000000:rule/SweepEvery")
        #expect(first.event.time.hasSuffix("Z"))
        #expect(!first.event.time.contains("."))
        #expect(first.event.timeMilliseconds != nil)
        #expect(service.rules.first?.period == .milliseconds(50))
    }

    @Test("runs of one rule never overlap: ticks during a run are skipped, a trigger waits for it")
    func noOverlap() async throws {
        let model = try loader.parse(
            yaml: Self.template("        Every: {Type: Schedule, Properties: {Schedule: rate(1 minute)}}"))
        let invoker = FakeScheduleInvoker(holds: true)
        let service = ScheduleService(
            template: model, invoker: invoker, interval: .milliseconds(20), logger: Logger(label: "test"))
        let rule = try #require(service.rules.first)
        let ticking = Task { await ScheduleService.tick(rule, every: .milliseconds(20)) }
        try await eventually("the first run started") { invoker.count == 1 }
        let triggered = Task { await service.trigger(function: "Sweep") }
        try await Task.sleep(for: .milliseconds(200))  // many ticks pass while the first run is held
        #expect(invoker.count == 1)
        ticking.cancel()
        invoker.release.yield()  // first run ends; the waiting trigger runs next
        try await eventually("the triggered run started") { invoker.count == 2 }
        invoker.release.yield()
        let outcomes = try #require(await triggered.value)
        #expect(outcomes.map(\.outcome) == [.success(Array("null".utf8))])
        #expect(invoker.state.withLock { $0.mostRunning } == 1)
        _ = await ticking.result
        #expect(await service.trigger(function: "GetStatus") == nil)
    }

    @Test("cron and disabled rules do not fire by themselves")
    func cronAndDisabledHaveNoPeriod() throws {
        let model = try loader.parse(
            yaml: Self.template(
                """
                        C: {Type: Schedule, Properties: {Schedule: "cron(0 * * * ? *)"}}
                        D: {Type: Schedule, Properties: {Schedule: rate(1 minute), Enabled: false}}
                """))
        let service = ScheduleService(
            template: model, invoker: FakeScheduleInvoker(), interval: .seconds(1), logger: Logger(label: "test"))
        #expect(service.rules.count == 2)
        #expect(service.rules.allSatisfy { $0.period == nil })
    }

    @Test("--schedule-interval and --function-env parse, and refuse bad values clearly")
    func configurationParsing() throws {
        #expect(try RunnerConfiguration.parseInterval("500ms") == .milliseconds(500))
        #expect(try RunnerConfiguration.parseInterval("2s") == .seconds(2))
        #expect(try RunnerConfiguration.parseInterval("1m") == .seconds(60))
        for bad in ["0s", "2", "-1s", "fast", "1.5s"] {
            #expect(throws: LocalRunnerError.self) { try RunnerConfiguration.parseInterval(bad) }
        }
        #expect(try RunnerConfiguration.parseFunctionEnvironment(["A_B=1=2", "X="]) == ["A_B": "1=2", "X": ""])
        for bad in ["NOVALUE", "=x", "1A=x", "A-B=x"] {
            #expect(throws: LocalRunnerError.self) { try RunnerConfiguration.parseFunctionEnvironment([bad]) }
        }
        let error = try #require(throws: LocalRunnerError.self) {
            try RunnerConfiguration.parseFunctionEnvironment(["DATA_API_URL=http://x"])
        }
        #expect(error.message.contains("evcsm-local sets this variable itself"))
        let model = TemplateModel(functions: [FunctionDefinition(logicalId: "F", environment: ["A": "1", "B": "2"])])
        #expect(model.overridingEnvironment(["B": "3"]).functions[0].environment == ["A": "1", "B": "3"])
    }
}
