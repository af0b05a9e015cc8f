import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The entry point of every function binary. A function's `main.swift` is one call:
///
/// ```swift
/// await FunctionMain.run { environment, logger in
///     try GetStatus(environment: environment, logger: logger)
/// }
/// ```
///
/// With `AWS_LAMBDA_RUNTIME_API` set it builds the handler (a failure goes to `/runtime/init/error`, exit 1)
/// and serves invocations forever. Without it, it is a command line for development:
/// `--event FILE` or `--event -` (stdin) invokes once and prints the output JSON (exit 1 when the handler
/// threw or answered HTTP 5xx), `--help` prints usage, anything else prints usage on stderr and exits 2.
public enum FunctionMain {
    /// Runs the function and exits the process.
    /// - Parameters:
    ///   - environmentVariables: the variables the function reads, listed by `--help`.
    ///   - makeHandler: builds the handler from the environment (read once); throw to fail initialization.
    public static func run<Handler: FunctionHandler>(
        environmentVariables: [String] = [],
        _ makeHandler: @Sendable (FunctionEnvironment, Logger) throws -> Handler
    ) async -> Never {
        let environment = FunctionEnvironment()
        FunctionLogging.bootstrap(FunctionLogConfiguration(environment: environment))
        let status = await runReturningStatus(
            arguments: Array(CommandLine.arguments.dropFirst()), environment: environment,
            name: CommandLine.arguments.first.map(baseName) ?? "function",
            environmentVariables: environmentVariables, makeHandler)
        SystemIO.exitProcess(status)
    }

    /// What ``run(environmentVariables:_:)`` does, returning the exit status instead of exiting; the command
    /// line's input and output go through the given closures (stdin, stdout and stderr when nil). It does not
    /// bootstrap logging (``run(environmentVariables:_:)`` does), so tests can call it in-process.
    public static func runReturningStatus<Handler: FunctionHandler>(
        arguments: [String], environment: FunctionEnvironment, name: String, environmentVariables: [String] = [],
        standardInput: (@Sendable () -> [UInt8])? = nil, standardOutput: (@Sendable (String) -> Void)? = nil,
        standardError: (@Sendable (String) -> Void)? = nil,
        _ makeHandler: @Sendable (FunctionEnvironment, Logger) throws -> Handler
    ) async -> Int32 {
        let standardInput = standardInput ?? { SystemIO.readAll(from: 0) }
        let standardOutput = standardOutput ?? { SystemIO.write($0, to: 1) }
        let standardError = standardError ?? { SystemIO.write($0, to: 2) }
        let clock = ContinuousClock()
        let started = clock.now
        var logger = Logger(label: "evcsm.\(name)")
        logger.logLevel = FunctionLogConfiguration(environment: environment).level

        if let endpoint = environment["AWS_LAMBDA_RUNTIME_API"] {
            let client = RuntimeAPIClient(endpoint: endpoint, pipelines: RuntimeAPIClient.pipelining(environment))
            let handler: Handler
            do {
                handler = try makeHandler(environment, logger)
            } catch {
                let (errorType, message) = initErrorDescription(error)
                logger.critical(
                    "initialization failed", metadata: ["errorType": "\(errorType)", "error": "\(message)"])
                do {
                    try client.reportInitError(errorType: errorType, errorMessage: message)
                } catch {
                    logger.critical("cannot report the init error", metadata: ["error": "\(error)"])
                }
                return 1
            }
            let loop = FunctionRuntimeLoop(
                client: client, handler: handler, logger: logger, initDuration: clock.now - started)
            do {
                try await loop.run()
            } catch {
                logger.critical("Runtime API failed", metadata: ["error": "\(error)"])
                return 1
            }
            return 0
        }

        let usage = usageText(name: name, environmentVariables: environmentVariables)
        let eventSource: String
        switch arguments.count {
        case 1 where arguments[0] == "--help" || arguments[0] == "-h":
            standardOutput(usage)
            return 0
        case 1 where arguments[0].hasPrefix("--event="):
            eventSource = String(arguments[0].dropFirst("--event=".count))
        case 2 where arguments[0] == "--event":
            eventSource = arguments[1]
        default:
            standardError(usage)
            return 2
        }
        let event: [UInt8]
        if eventSource == "-" {
            event = standardInput()
        } else if let bytes = SystemIO.readFile(eventSource) {
            event = bytes
        } else {
            standardError("\(name): cannot read event file \(eventSource): \(SystemIO.lastErrorText)\n")
            return 1
        }
        let handler: Handler
        do {
            handler = try makeHandler(environment, logger)
        } catch {
            standardError("\(name): initialization failed: \(initErrorDescription(error).message)\n")
            return 1
        }
        let context = FunctionContext.local(logger: logger)
        do {
            let output = try await makeInvocationAdapter(for: handler).invoke(event, context: context)
            standardOutput(String(decoding: output.body, as: UTF8.self) + "\n")
            return output.isServerError ? 1 : 0
        } catch {
            standardError("\(name): invocation failed: \(FunctionRuntimeLoop.describe(error).message)\n")
            return 1
        }
    }

    /// The `--help` text.
    public static func usageText(name: String, environmentVariables: [String]) -> String {
        var text = """
            usage: \(name) --event FILE|-
                   \(name) --help

            Runs the \(name) function. Under AWS Lambda (or evcsm-local), AWS_LAMBDA_RUNTIME_API is set and the
            function serves invocations from the Lambda Runtime API. Without it, --event FILE invokes the function
            once with the event JSON in FILE (- reads stdin) and prints the output JSON; the exit status is 1 when
            the function failed or answered HTTP 5xx.

            Environment:
              AWS_LAMBDA_RUNTIME_API   host:port of the Lambda Runtime API
              LOG_LEVEL                trace, debug, info (default), notice, warning, error, critical
              AWS_LAMBDA_LOG_LEVEL     used when LOG_LEVEL is unset
              AWS_LAMBDA_LOG_FORMAT    JSON for JSON log lines on stderr (default: text)

            """
        if !environmentVariables.isEmpty {
            text += "Function configuration: " + environmentVariables.joined(separator: ", ") + "\n"
        }
        return text
    }

    static func initErrorDescription(_ error: any Error) -> (errorType: String, message: String) {
        if let runtimeError = error as? FunctionRuntimeError, runtimeError.code == .invalidEnvironment {
            return ("Runtime.InvalidEnvironment", runtimeError.message)
        }
        return FunctionRuntimeLoop.describe(error)
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
