import Foundation

/// The template's HttpApi routes, ordered like API Gateway matches them: literal segments beat `{param}`,
/// which beat greedy `{param+}`; a route's method must match or be `ANY` (and `HEAD` is served by `GET`).
///
/// Requests do not go through this table: ``routerRoutes(reservedSegments:webPaths:)`` turns it into
/// Hummingbird router routes once, with each route bound to its function. ``match(method:path:)`` is API
/// Gateway's choice for one request, the reference those routes are checked against (and what the rare
/// router route whose answer depends on the path asks).
public struct RouteTable: Sendable {
    /// A matched route with its decoded path parameters.
    public struct Match: Sendable, Equatable {
        public var function: String
        public var route: RouteDefinition
        public var pathParameters: [String: String]

        public init(function: String, route: RouteDefinition, pathParameters: [String: String] = [:]) {
            self.function = function
            self.route = route
            self.pathParameters = pathParameters
        }
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        case greedy(String)
    }

    struct Entry: Sendable {
        var function: String
        var route: RouteDefinition
        var segments: [Segment]
        var rank: [Int]
    }

    /// Every route, highest priority first.
    let entries: [Entry]
    /// Route keys the JWT authorizer guards (``TemplateModel/protectedRoutes``).
    let protectedRoutes: Set<String>

    public init(template: TemplateModel) {
        protectedRoutes = template.protectedRoutes
        entries = template.routes.map { function, route in
            let segments = Self.segments(of: route.path)
            let rank = segments.map { s -> Int in
                switch s {
                case .literal: return 0
                case .parameter: return 1
                case .greedy: return 2
                }
            }
            return Entry(
                function: function, route: route, segments: segments, rank: rank + [route.method == "ANY" ? 1 : 0])
        }
        .sorted { $0.rank.lexicographicallyPrecedes($1.rank) }
    }

    /// A template path's segments: `{name}` is a parameter, `{name+}` greedy, anything else literal.
    static func segments(of path: String) -> [Segment] {
        path.split(separator: "/").map { part -> Segment in
            if part.hasPrefix("{") && part.hasSuffix("+}") { return .greedy(String(part.dropFirst().dropLast(2))) }
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
    }

    /// Whether the template puts `route` behind the JWT authorizer.
    public func isProtected(_ route: RouteDefinition) -> Bool { protectedRoutes.contains(route.routeKey) }

    /// Whether a route with `routeMethod` (`GET`, `ANY`, …) answers requests with `method` (upper-case).
    static func serves(_ routeMethod: String, _ method: String) -> Bool {
        routeMethod == method || routeMethod == "ANY" || (method == "HEAD" && routeMethod == "GET")
    }

    /// The first route that matches, or nil (API Gateway's 404).
    public func match(method: String, path: String) -> Match? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let method = method.uppercased()
        for entry in entries where Self.serves(entry.route.method, method) {
            if let parameters = Self.bind(entry.segments, parts) {
                return Match(function: entry.function, route: entry.route, pathParameters: parameters)
            }
        }
        return nil
    }

    static func bind(_ segments: [Segment], _ parts: [String]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (i, segment) in segments.enumerated() {
            switch segment {
            case .greedy(let name):
                guard i < parts.count else { return nil }
                parameters[name] =
                    parts[i...].joined(separator: "/").removingPercentEncoding ?? parts[i...].joined(separator: "/")
                return parameters
            case .literal(let text):
                guard i < parts.count, parts[i] == text else { return nil }
            case .parameter(let name):
                guard i < parts.count else { return nil }
                parameters[name] = parts[i].removingPercentEncoding ?? parts[i]
            }
        }
        return segments.count == parts.count ? parameters : nil
    }
}
