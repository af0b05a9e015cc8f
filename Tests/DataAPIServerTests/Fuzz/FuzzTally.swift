import BSON

/// The fuzzer's counts and the failures it found, checked case by case.
struct FuzzTally {
    var cases = 0
    var successes = 0
    var clientErrors = 0
    var serverErrors = 0
    var crashes = 0
    var malformedErrors = 0
    var rejectedWritesChecked = 0
    var storeChanges = 0
    var failures = [String]()
    /// Seconds spent per kind of case (request and store check), for the slowest-kinds line.
    var secondsByKind = [String: Double]()

    /// Checks one answer: no transport failure, no 5xx, a 4xx is exactly `{error, error_code}` with the
    /// code of its status, a 2xx is a JSON object.
    mutating func record(_ fuzzCase: FuzzCase, index: Int, status: Int, body: [UInt8]) {
        cases += 1
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        switch status {
        case 200..<300:
            successes += 1
            if (try? ExtendedJSON.parseDocument(body, maximumDepth: 200)) == nil {
                fail(index, fuzzCase, "\(status) reply is not a JSON object: \(text)")
            }
        case 400..<500:
            clientErrors += 1
            if let problem = Self.envelopeProblem(status: status, body: body) {
                malformedErrors += 1
                fail(index, fuzzCase, "\(status) \(problem): \(text)")
            }
        case 500..<600:
            serverErrors += 1
            fail(index, fuzzCase, "\(status): \(text)")
        default:
            serverErrors += 1
            fail(index, fuzzCase, "no HTTP answer: \(text)")
        }
    }

    /// Why a 4xx body is not a well-formed error envelope, nil when it is.
    static func envelopeProblem(status: Int, body: [UInt8]) -> String? {
        guard let reply = try? ExtendedJSON.parseDocument(body) else { return "body is not JSON" }
        guard Set(reply.keys) == ["error", "error_code"], let message = reply["error"]?.stringValue,
            let code = reply["error_code"]?.stringValue.flatMap(DataAPIErrorCode.init(rawValue:))
        else { return "body is not {error, error_code}" }
        if message.isEmpty { return "empty error message" }
        if code.httpStatus != status { return "error_code \(code.rawValue) does not belong to status \(status)" }
        return nil
    }

    mutating func fail(_ index: Int, _ fuzzCase: FuzzCase, _ problem: String) {
        failures.append("case \(index) [\(fuzzCase.summary)]: \(problem)")
    }

    /// The kinds that took the most time, "kind 1.2s" each.
    var slowestKinds: String {
        secondsByKind.sorted { $0.value > $1.value }.prefix(6).map { "\($0.key) \((($0.value) * 10).rounded() / 10)s" }
            .joined(separator: ", ")
    }

    func summary(_ backend: String, seed: UInt64, seconds: Double) -> String {
        "Data API fuzz [\(backend)] seed=\(seed) cases=\(cases) 2xx=\(successes) 4xx=\(clientErrors) "
            + "5xx=\(serverErrors) crashes=\(crashes) malformed-4xx=\(malformedErrors) "
            + "rejected-writes-checked=\(rejectedWritesChecked) store-changed-by-rejected=\(storeChanges) "
            + "seconds=\((seconds * 10).rounded() / 10)"
    }
}
