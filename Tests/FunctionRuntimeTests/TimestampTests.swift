import Essentials
import Foundation
import FunctionRuntime
import Testing

@Suite("Timestamp")
struct TimestampTests {
    @Test func formatsMillisecondsWithZ() {
        #expect(Timestamp.format(milliseconds: 1_795_691_395_123) == "2026-11-26T11:09:55.123Z")
        #expect(Timestamp.format(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.format(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.format(milliseconds: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
    }

    @Test func formatsDatesTruncatingBelowMilliseconds() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_795_691_395.1239)) == "2026-11-26T11:09:55.123Z")
    }

    @Test(arguments: [
        Int64(0), 1, 999, 86_399_999, 951_782_400_000, 1_795_691_395_123, 4_102_444_799_999, -86_400_001,
    ])
    func roundTrips(milliseconds: Int64) {
        #expect(Timestamp.parseMilliseconds(Timestamp.format(milliseconds: milliseconds)) == milliseconds)
    }

    @Test("formatting in place spells what Foundation's UTC calendar says, around every boundary")
    func formatsAsTheCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        func reference(_ ms: Int64) -> String {
            let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
            let c = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(seconds)))
            func pad(_ value: Int?, _ width: Int) -> String {
                let text = String(value ?? -1)
                return String(repeating: "0", count: max(0, width - text.count)) + text
            }
            return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):"
                + "\(pad(c.second, 2)).\(pad(Int(ms - seconds * 1000), 3))Z"
        }
        // Foundation's calendar is Julian before October 1582; evcsm's is proleptic Gregorian throughout.
        var samples: [Int64] = [0, -1, 1, 951_782_400_000, 253_402_300_799_999, -12_219_292_800_000]
        for step in stride(from: Int64(-12_000_000_000_000), to: 253_000_000_000_000, by: 777_777_777_777) {
            samples += [step, step + 999, step - 1]
        }
        for ms in samples { #expect(Timestamp.format(milliseconds: ms) == reference(ms), "\(ms)") }
        #expect(Timestamp.format(milliseconds: -62_135_596_800_000) == "0001-01-01T00:00:00.000Z")
        #expect(Timestamp.format(milliseconds: -62_167_219_200_000) == "0000-01-01T00:00:00.000Z")
        #expect(Timestamp.format(milliseconds: 253_402_300_800_000) == "10000-01-01T00:00:00.000Z")
    }

    @Test func parsesOtherFractionsAndOffsets() {
        #expect(Timestamp.parseMilliseconds("2026-11-26T11:09:55Z") == 1_795_691_395_000)
        #expect(Timestamp.parseMilliseconds("2026-11-26T11:09:55.1Z") == 1_795_691_395_100)
        #expect(Timestamp.parseMilliseconds("2026-11-26T11:09:55.123456Z") == 1_795_691_395_123)
        #expect(Timestamp.parseMilliseconds("2026-11-26T11:09:55.123+00:00") == 1_795_691_395_123)
        #expect(Timestamp.parseMilliseconds("2026-11-26T12:09:55.123+01:00") == 1_795_691_395_123)
        #expect(Timestamp.parseMilliseconds("2026-11-26T10:39:55.123-00:30") == 1_795_691_395_123)
        #expect(Timestamp.parseMilliseconds("2026-11-26t11:09:55.123z") == 1_795_691_395_123)
    }

    @Test(arguments: [
        "", "2026-11-26", "2026-11-26T11:09:55", "2026-11-26 11:09:55Z", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26T11:60:00Z",
        "2026-11-26T11:09:60Z", "2026-11-26T11:09:55.Z", "2026-11-26T11:09:55.123", "2026-11-26T11:09:55.123Zjunk",
        "2026-11-26T11:09:55+0100", "x026-11-26T11:09:55Z", "1795691395123",
    ])
    func rejectsMalformed(text: String) {
        #expect(Timestamp.parseMilliseconds(text) == nil)
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func acceptsLeapDay() {
        #expect(Timestamp.parseMilliseconds("2024-02-29T00:00:00Z") == 1_709_164_800_000)
        #expect(Timestamp.parseMilliseconds("2000-02-29T00:00:00.000Z") == 951_782_400_000)
        #expect(Timestamp.parseMilliseconds("1900-02-29T00:00:00Z") == nil)
    }
}

@Suite("FunctionEnvironment")
struct FunctionEnvironmentTests {
    @Test func requiredNamesTheMissingVariable() throws {
        let environment = FunctionEnvironment(["DATA_API_URL": ""])
        let error = try #require(throws: FunctionRuntimeError.self) { try environment.required("DATA_API_URL") }
        #expect(error.code == .invalidEnvironment)
        #expect(error.message.contains("DATA_API_URL"))
        #expect(try FunctionEnvironment(["DATA_API_URL": "http://x"]).required("DATA_API_URL") == "http://x")
    }

    @Test func numbersWithDefaultsAndErrors() throws {
        let environment = FunctionEnvironment(["TARIFF_PER_KWH": "0.75", "DEFAULT_MAX_POWER": "abc", "N": "12"])
        #expect(try environment.double("TARIFF_PER_KWH", default: 0.5) == 0.75)
        #expect(try environment.double("TARIFF_SESSION_FEE", default: 5) == 5)
        #expect(try environment.int("N", default: 1) == 12)
        #expect(try environment.int("MISSING", default: 50) == 50)
        let error = try #require(throws: FunctionRuntimeError.self) {
            try environment.double("DEFAULT_MAX_POWER", default: 11)
        }
        #expect(error.message.contains("DEFAULT_MAX_POWER"))
        #expect(throws: FunctionRuntimeError.self) { try environment.int("TARIFF_PER_KWH", default: 0) }
        #expect(throws: FunctionRuntimeError.self) {
            try FunctionEnvironment(["X": "inf"]).double("X", default: 0)
        }
    }

    @Test func logConfigurationFromEnvironment() {
        let json = FunctionLogConfiguration(environment: FunctionEnvironment(["AWS_LAMBDA_LOG_FORMAT": "JSON"]))
        #expect(json == FunctionLogConfiguration(format: .json, level: .info))
        let lambda = FunctionLogConfiguration(environment: FunctionEnvironment(["AWS_LAMBDA_LOG_LEVEL": "WARN"]))
        #expect(lambda.level == .warning)
        let both = FunctionLogConfiguration(
            environment: FunctionEnvironment(["LOG_LEVEL": "debug", "AWS_LAMBDA_LOG_LEVEL": "ERROR"]))
        #expect(both.level == .debug)
        #expect(FunctionLogConfiguration(environment: FunctionEnvironment(["LOG_LEVEL": "loud"])).level == .info)
        #expect(FunctionLogConfiguration.level(named: "FATAL") == .critical)
    }
}
