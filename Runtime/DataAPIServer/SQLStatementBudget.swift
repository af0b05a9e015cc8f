/// SQLite's bounds on one statement — bound variables (`SQLITE_MAX_VARIABLE_NUMBER`, 32,766) and expression
/// depth (`SQLITE_MAX_EXPR_DEPTH`, 1,000; `a OR b OR c` nests a level per term) — as budgets for a filter's
/// SQL. Exact conditions past them are left to Swift (the translation is then not complete), narrowing ones
/// are dropped (they only narrow), so a filter of any size runs and never fails in SQL.
struct SQLStatementBudget {
    static let maxExactArguments = 20_000
    /// Field conditions (each at most the ~10 operators of one field) in all exact conditions together.
    static let maxExactFieldGroups = 100
    /// Narrowing conditions repeat in every branch of the other rows' `UNION` (up to a dozen).
    static let maxNarrowingArguments = 1_000
    static let maxNarrowingConditions = 32

    private var arguments = 0
    private var fieldGroups = 0

    /// Whether an exact condition of `groups` field conditions fits what is left; counts it when it does.
    mutating func admit(_ clause: SQLFragment, groups: Int) -> Bool {
        guard arguments + clause.arguments.count <= Self.maxExactArguments,
            fieldGroups + groups <= Self.maxExactFieldGroups
        else { return false }
        arguments += clause.arguments.count
        fieldGroups += groups
        return true
    }

    /// Whether a narrowing condition fits after the `earlier` ones.
    static func fits(_ clause: SQLFragment, after earlier: [SQLFragment]) -> Bool {
        earlier.count < maxNarrowingConditions
            && earlier.reduce(clause.arguments.count, { $0 + $1.arguments.count }) <= maxNarrowingArguments
    }
}
