import FunctionRuntime

/// `GET /sessions?chargingPointId=&userId=&status=&from=&to=&limit=&cursor=`: newest first, paged with an
/// opaque cursor; JSON `{sessions, nextCursor}`, or CSV with a header row for `Accept: text/csv`
/// (the next cursor then travels in the `x-next-cursor` header). A driver sees only their own sessions
/// (``Caller/scoped(_:)``: a `userId` naming another user is a 403); an operator sees all. 401 without a caller.
public struct ListSessionsHandler: HTTPFunction {
    let dependencies: FunctionDependencies

    public init(_ dependencies: FunctionDependencies) { self.dependencies = dependencies }

    public func handle(_ request: APIGatewayV2Request, context: FunctionContext) async throws -> APIGatewayV2Response {
        let caller = try dependencies.caller(of: request)
        let query = try caller.scoped(try QueryParameters(request).sessionQuery())
        let page = try await dependencies.store.list(query)
        let now = dependencies.clock.nowMilliseconds()
        let views = page.sessions.map { SessionView($0, now: now, tariff: dependencies.tariff) }
        let nextCursor = page.nextCursor?.token
        guard Self.wantsCSV(request.header("accept")) else {
            return try .json(SessionListResponse(sessions: views, nextCursor: nextCursor))
        }
        var lines = [SessionView.csvHeader]
        for (session, view) in zip(page.sessions, views) {
            lines.append(
                view.csvRow(
                    energyWh: session.energyWh, costCents: session.costCents(now: now, tariff: dependencies.tariff)))
        }
        var headers = [
            "content-type": "text/csv; charset=utf-8",
            "content-disposition": "attachment; filename=\"sessions.csv\"",
        ]
        if let nextCursor { headers["x-next-cursor"] = nextCursor }
        return APIGatewayV2Response(statusCode: 200, headers: headers, body: lines.joined(separator: "\r\n") + "\r\n")
    }

    /// True when the `Accept` header asks for `text/csv`.
    static func wantsCSV(_ accept: String?) -> Bool {
        guard let accept else { return false }
        return accept.lowercased().split(separator: ",").contains { (part: Substring) -> Bool in
            String(part.split(separator: ";").first ?? "").trimmingSpaces == "text/csv"
        }
    }
}
