import BSON
import Foundation
import Testing

/// Issue 12: generated requests (deep and long paths, NaN/±Infinity/-0, huge arrays and lists, unknown
/// operators, wrong types for every parameter, huge numbers, deep documents, duplicate keys, invalid
/// Extended JSON, bad action names, bad JSON, oversized bodies) against a real `evcsm-data-api` on each
/// backend. Checked: the process never dies, no 5xx, every 4xx is a well-formed `{error, error_code}`,
/// and a refused write leaves every collection exactly as it was.
///
/// The generator is seeded: `EVCSM_FUZZ_SEED` picks the seed (printed in the summary line),
/// `EVCSM_FUZZ_CASES` the number of cases per backend (default 600).
@Suite("Data API fuzz")
struct DataAPIFuzzTests {
    static let defaultSeed: UInt64 = 20_261_201
    static let defaultCases = 600

    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["EVCSM_FUZZ_SEED"].flatMap { UInt64($0) } ?? defaultSeed
    }

    static var caseCount: Int {
        ProcessInfo.processInfo.environment["EVCSM_FUZZ_CASES"].flatMap { Int($0) } ?? defaultCases
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = (ContinuousClock.now - start).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }

    @Test(
        "generated requests: no crash, no 5xx, well-formed 4xx, refused writes change nothing",
        arguments: FuzzTarget.Backend.allCases)
    func fuzz(backend: FuzzTarget.Backend) async throws {
        let target = try await FuzzTarget.start(backend)
        let started = ContinuousClock.now
        var tally = FuzzTally()
        // Each backend sees the same cases.
        var generator = FuzzCaseGenerator(seed: Self.seed, apiKey: FuzzTarget.apiKey)
        // The contents of each namespace as last read; dropped after an accepted write, read again before
        // the next write to it.
        var contents = [String: String]()
        for index in 0..<Self.caseCount {
            let fuzzCase = generator.next()
            let namespace = fuzzCase.database + "." + fuzzCase.collection
            let caseStarted = ContinuousClock.now
            defer { tally.secondsByKind[fuzzCase.kind, default: 0] += Self.seconds(since: caseStarted) }
            if fuzzCase.isWrite, contents[namespace] == nil {
                let current = await target.contents(of: fuzzCase.collection, in: fuzzCase.database)
                // What earlier accepted writes stored can be read back (an invalid namespace is a 400: it holds nothing).
                if !current.hasPrefix("200 ") && !current.hasPrefix("400 ") {
                    tally.fail(index, fuzzCase, "reading the collection: \(current.prefix(300))")
                }
                contents[namespace] = current
            }
            let (status, body) = await target.send(fuzzCase)
            tally.record(fuzzCase, index: index, status: status, body: body)
            guard target.child.isRunning else {
                tally.crashes += 1
                tally.fail(index, fuzzCase, "the server died: \(target.child.standardErrorText.suffix(1_500))")
                break
            }
            guard fuzzCase.isWrite else { continue }
            guard status >= 400, !(status == 409 && fuzzCase.mayWritePartially) else {
                contents[namespace] = nil
                continue
            }
            tally.rejectedWritesChecked += 1
            if await target.contents(of: fuzzCase.collection, in: fuzzCase.database) != contents[namespace] {
                tally.storeChanges += 1
                tally.fail(index, fuzzCase, "refused with \(status) but the collection changed")
            }
        }
        // The process is still alive and serving: a valid write and read.
        if target.child.isRunning {
            let final = FuzzCase(
                kind: "final", path: "/action/insertOne",
                headers: [("Content-Type", "application/json"), ("apiKey", FuzzTarget.apiKey)],
                body: Array(#"{"database":"fuzz","collection":"final","document":{"_id":"alive"}}"#.utf8),
                isWrite: true, mayWritePartially: false, database: "fuzz", collection: "final")
            let (status, body) = await target.send(final)
            #expect(status == 200, "final request: \(status) \(String(decoding: body, as: UTF8.self))")
        } else if tally.crashes == 0 {
            tally.crashes += 1
        }
        print(tally.summary(backend.rawValue, seed: Self.seed, seconds: Self.seconds(since: started)))
        print("Data API fuzz [\(backend.rawValue)] slowest kinds: \(tally.slowestKinds)")
        await target.stop()
        #expect(tally.cases >= 500, "too few cases ran")
        #expect(tally.crashes == 0 && tally.serverErrors == 0 && tally.malformedErrors == 0 && tally.storeChanges == 0)
        for failure in tally.failures.prefix(25) { Issue.record("\(backend.rawValue): \(failure)") }
    }
}
