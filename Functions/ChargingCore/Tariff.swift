import FunctionRuntime

/// What a session costs: per kWh, per session and per minute, in one currency (configuration, not code).
public struct Tariff: Sendable, Hashable {
    public var perKWh: Double
    public var sessionFee: Double
    public var perMinute: Double
    /// ISO 4217 code shown in responses, e.g. `EUR`.
    public var currency: String

    public init(perKWh: Double = 0.50, sessionFee: Double = 5.00, perMinute: Double = 0.00, currency: String = "EUR") {
        self.perKWh = perKWh
        self.sessionFee = sessionFee
        self.perMinute = perMinute
        self.currency = currency
    }

    /// Reads `TARIFF_PER_KWH`, `TARIFF_SESSION_FEE`, `TARIFF_PER_MINUTE` and `TARIFF_CURRENCY`.
    public static func fromEnvironment(_ env: FunctionEnvironment) throws(FunctionRuntimeError) -> Tariff {
        let defaults = Tariff()
        let tariff = Tariff(
            perKWh: try env.double("TARIFF_PER_KWH", default: defaults.perKWh),
            sessionFee: try env.double("TARIFF_SESSION_FEE", default: defaults.sessionFee),
            perMinute: try env.double("TARIFF_PER_MINUTE", default: defaults.perMinute),
            currency: env["TARIFF_CURRENCY"] ?? defaults.currency)
        for (name, value) in [
            ("TARIFF_PER_KWH", tariff.perKWh), ("TARIFF_SESSION_FEE", tariff.sessionFee),
            ("TARIFF_PER_MINUTE", tariff.perMinute),
        ] where value < 0 {
            throw FunctionRuntimeError(.invalidEnvironment, "environment variable \(name) must not be negative")
        }
        return tariff
    }

    /// The cost in cents (rounded half away from zero) of `energyWh` over `minutes`:
    /// 15 500 Wh at the defaults → 1275 (12.75).
    public func costCents(energyWh: Int64, minutes: Int64) -> Int64 {
        let amount = perKWh * Double(energyWh) / 1000 + sessionFee + perMinute * Double(minutes)
        // Snap to a micro-cent grid first: binary floating point makes e.g. 7.155 come out as 715.4999…
        // cents, which would round down. Saturates instead of trapping on absurd configured rates.
        let cents = ((amount * 100 * 1_000_000).rounded() / 1_000_000).rounded()
        return cents < 9.2e18 ? Int64(cents) : Int64.max
    }
}

/// Money and energy as evcsm writes them (no `String(format:)` in FoundationEssentials).
public enum WireNumber {
    /// Cents as a JSON number: 1275 → 12.75.
    public static func money(cents: Int64) -> Double { Double(cents) / 100 }

    /// `12.75` from 1275 cents (always two decimals).
    public static func moneyText(cents: Int64) -> String { fixed(cents, decimals: 2) }

    /// `15.500` from 15 500 Wh (kWh, always three decimals).
    public static func kWhText(energyWh: Int64) -> String { fixed(energyWh, decimals: 3) }

    static func fixed(_ value: Int64, decimals: Int) -> String {
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let sign = value < 0 ? "-" : ""
        let magnitude = value.magnitude
        let fraction = String(magnitude % UInt64(scale))
        return
            "\(sign)\(magnitude / UInt64(scale)).\(String(repeating: "0", count: decimals - fraction.count))\(fraction)"
    }
}
