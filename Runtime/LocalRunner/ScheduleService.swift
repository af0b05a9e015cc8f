import Essentials
import Foundation
import FunctionRuntime
import Hummingbird
import Logging
import ServiceLifecycle

/// EventBridge schedules (the template's `Schedule` events): each enabled `rate()` rule invokes its function with a
/// real scheduled event once per period, the first run one period after start. Runs of one rule never overlap: a
/// tick that finds the previous run still going is skipped (and logged). Failed runs are logged; invocations count
/// in the invocation metrics like every other (through the ``FunctionInvoker``).
///
/// `cron()` rules are not run by themselves (a warning at start says so); ``trigger(function:)`` and the loopback
/// route `POST /_schedules/{function}` run a function's rules now, whatever their expression or state.
final class ScheduleService: Service {
    let rules: [ScheduledRule]
    let logger: Logger

    /// `interval`, when set, replaces the period of every enabled `rate()` rule (`--schedule-interval`).
    init(template: TemplateModel, invoker: any FunctionInvoker, interval: Duration?, logger: Logger) {
        self.logger = logger
        var rules: [ScheduledRule] = []
        for function in template.functions {
            for schedule in function.schedules {
                var period = schedule.rateSeconds.map { Duration.seconds($0) }
                if period != nil, let interval { period = interval }
                if !schedule.enabled { period = nil }
                rules.append(
                    ScheduledRule(
                        function: function.logicalId, definition: schedule, period: period, invoker: invoker,
                        logger: logger))
            }
        }
        self.rules = rules
    }

    func run() async throws {
        for rule in rules {
            let at = "schedule \(rule.definition.name) of \(rule.function) (\(rule.definition.expression))"
            if let period = rule.period {
                logger.info("\(at): every \(period), first run one period after start")
            } else if !rule.definition.enabled {
                logger.info("\(at): disabled in the template; runs only through POST /_schedules/\(rule.function)")
            } else {
                logger.warning(
                    "\(at): cron() schedules are not run by evcsm-local; trigger with POST /_schedules/\(rule.function)"
                )
            }
        }
        await withDiscardingTaskGroup { group in
            for rule in rules {
                guard let period = rule.period else { continue }
                group.addTask { await Self.tick(rule, every: period) }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Fires `rule` at a fixed rate until cancelled; a run still going at the next tick makes that tick skip.
    static func tick(_ rule: ScheduledRule, every period: Duration) async {
        await withDiscardingTaskGroup { group in
            var next = ContinuousClock.now + period
            while !Task.isCancelled {
                do { try await Task.sleep(until: next) } catch { return }
                // A tick that lands as the schedule is being stopped does not start a run.
                group.addTask {
                    guard !Task.isCancelled else { return }
                    await rule.fireUnlessRunning()
                }
                next += period
                if next < .now { next = .now + period }
            }
        }
    }

    /// Runs every rule of `function` now, one after the other (each after its run in progress, if any); nil when
    /// the function has no schedule.
    func trigger(function: String) async -> [(rule: String, outcome: InvocationOutcome)]? {
        let mine = rules.filter { $0.function == function }
        guard !mine.isEmpty else { return nil }
        var outcomes: [(rule: String, outcome: InvocationOutcome)] = []
        for rule in mine { outcomes.append((rule.definition.name, await rule.fireAfterCurrent())) }
        return outcomes
    }

    /// `POST /_schedules/{function}`: runs the function's schedules now and answers when they are done, 200
    /// `{function, runs: [{rule, outcome}]}`, 502 when a run failed, 404 when the function has no schedule.
    /// Only added when the runner listens on loopback (the route is for development and tests).
    func addRoutes(to router: Router<BasicRequestContext>, host: String) {
        guard Self.isLoopback(host) else { return }
        router.post("/_schedules/:function") { _, context -> Response in
            let function = context.parameters.get("function") ?? ""
            guard let outcomes = await self.trigger(function: function) else {
                return APIGateway.httpResponse(
                    .error(status: 404, error: "NotFound", message: "function \(function) has no Schedule event"))
            }
            let answer = TriggerAnswer(
                function: function, runs: outcomes.map { .init(rule: $0.rule, outcome: $0.outcome.label) })
            let failed = outcomes.contains { $0.outcome.label != "success" }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            let body = (try? RunnerJSON.encoder.encode(answer)) ?? Data()
            return Response(
                status: failed ? .badGateway : .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    struct TriggerAnswer: Encodable {
        struct Run: Encodable {
            var rule: String
            var outcome: String
        }
        var function: String
        var runs: [Run]
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// One schedule rule: invokes its function with a scheduled event, one run at a time.
actor ScheduledRule {
    let function: String
    let definition: ScheduleDefinition
    /// How often it fires by itself; nil when it does not (cron, disabled).
    nonisolated let period: Duration?
    let invoker: any FunctionInvoker
    let logger: Logger
    /// The rule's ARN, as the event's `resources` names it.
    let arn: String
    var running = false
    var waiters: [CheckedContinuation<Void, Never>] = []

    init(
        function: String, definition: ScheduleDefinition, period: Duration?, invoker: any FunctionInvoker,
        logger: Logger
    ) {
        self.function = function
        self.definition = definition
        self.period = period
        self.invoker = invoker
        self.logger = logger
        arn = "arn:aws:events:\(QueueBridge.region):\(QueueBridge.account):rule/\(definition.name)"
    }

    /// A timer tick: runs unless the previous run is still going (then the tick is skipped).
    func fireUnlessRunning() async {
        guard !running else {
            logger.warning("schedule \(definition.name) of \(function): previous run still going, this one skipped")
            return
        }
        _ = await fire()
    }

    /// A manual trigger: waits for the run in progress, then runs.
    func fireAfterCurrent() async -> InvocationOutcome {
        while running { await withCheckedContinuation { waiters.append($0) } }
        return await fire()
    }

    private func fire() async -> InvocationOutcome {
        running = true
        let requestID = UUID().uuidString.lowercased()
        let outcome = await invoker.invoke(function: function, payload: event(), requestID: requestID)
        running = false
        let resumed = waiters
        waiters = []
        for waiter in resumed { waiter.resume() }
        switch outcome {
        case .success:
            logger.debug("schedule \(definition.name) of \(function) ran", metadata: ["requestID": "\(requestID)"])
        case .functionError(let body):
            logger.error(
                "schedule \(definition.name) of \(function) failed: \(WorkerProcess.errorMessage(body))",
                metadata: ["requestID": "\(requestID)"])
        case .unavailable(let reason), .crashed(let reason), .initFailed(let reason):
            logger.error(
                "schedule \(definition.name) of \(function) failed (\(outcome.label)): \(reason)",
                metadata: ["requestID": "\(requestID)"])
        case .timeout(let seconds):
            logger.error(
                "schedule \(definition.name) of \(function) timed out after \(seconds) s",
                metadata: ["requestID": "\(requestID)"])
        }
        return outcome
    }

    /// The scheduled event of a run now (`time` in whole seconds, as EventBridge sends it).
    func event() -> [UInt8] {
        let seconds = Int64(Date().timeIntervalSince1970)
        let event = ScheduledEvent(
            id: UUID().uuidString.lowercased(), account: QueueBridge.account,
            time: String(Timestamp.format(milliseconds: seconds * 1000).dropLast(".000Z".count)) + "Z",
            region: QueueBridge.region, resources: [arn])
        return (try? RunnerJSON.encoder.encode(event)).map { [UInt8]($0) } ?? []
    }
}
