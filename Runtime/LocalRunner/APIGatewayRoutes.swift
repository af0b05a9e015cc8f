import Foundation
import Hummingbird

/// A template route bound to a router route when the router is built: the function, the route key and where
/// its path parameters are in the request path.
struct RouteBinding: Sendable {
    /// A path parameter: its name and the index of its request path segment.
    struct Parameter: Sendable, Equatable {
        var name: String
        var index: Int
    }

    let function: String
    let route: RouteDefinition
    let parameters: [Parameter]
    /// The greedy `{name+}` parameter and the segment it starts at.
    let greedy: Parameter?

    init(_ entry: RouteTable.Entry) {
        function = entry.function
        route = entry.route
        var parameters: [Parameter] = []
        var greedy: Parameter?
        for (index, segment) in entry.segments.enumerated() {
            switch segment {
            case .literal: break
            case .parameter(let name): parameters.append(Parameter(name: name, index: index))
            case .greedy(let name): greedy = Parameter(name: name, index: index)
            }
        }
        self.parameters = parameters
        self.greedy = greedy
    }

    /// The decoded path parameters of a request path the route matched.
    func pathParameters(_ path: String) -> [String: String] {
        guard !parameters.isEmpty || greedy != nil else { return [:] }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var values: [String: String] = [:]
        for parameter in parameters where parameter.index < parts.count {
            values[parameter.name] = Self.decoded(parts[parameter.index])
        }
        if let greedy, greedy.index < parts.count {
            values[greedy.name] = Self.decoded(parts[greedy.index...].joined(separator: "/")[...])
        }
        return values
    }

    static func decoded(_ part: Substring) -> String {
        guard part.utf8.contains(UInt8(ascii: "%")) else { return String(part) }
        return part.removingPercentEncoding ?? String(part)
    }
}

/// One route to register on the Hummingbird router for the template.
struct RouterRoute: Sendable {
    /// What the route answers.
    enum Target: Sendable {
        /// Always this template route.
        case bound(RouteBinding)
        /// Routes overlap here in a way that makes the answer depend on the path: ``RouteTable/match(method:path:)``.
        case matched
    }

    /// The path in the router's syntax: literals, `:pN` for a parameter at segment N, `**` for greedy.
    let path: String
    let method: HTTPRequest.Method
    let target: Target
    /// True when a Web file's path has this route's shape: such a file is served instead (GET and HEAD only).
    let yieldsToWebFiles: Bool
}

extension RouteTable {
    /// A route path's shape, names left out: what the router's trie is built from.
    enum ShapeElement: Hashable {
        case literal(String)
        case parameter
        case greedy
    }

    /// Methods every route is registered for when it serves them (`ANY` means these).
    static let standardMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

    /// Why a template route cannot be served, or nil when it can. Routes under a first path segment the runner
    /// serves itself (`reservedSegments`: `data-api`, `topics`, `healthz`, …) would shadow the runner's routes.
    static func refusal(_ entry: Entry, reservedSegments: Set<String>) -> String? {
        if case .literal(let first) = entry.segments.first, reservedSegments.contains(first) {
            return "/\(first) is served by the runner itself"
        }
        for (index, segment) in entry.segments.enumerated() {
            switch segment {
            case .greedy where index != entry.segments.count - 1:
                return "a greedy {name+} parameter must be the last segment"
            case .literal(let text) where text.contains(where: { "{}*".contains($0) }) || text.hasPrefix(":"):
                return "segment \(text) is not a literal or a whole-segment parameter"
            default: continue
            }
        }
        return nil
    }

    /// The Hummingbird routes that serve the template as API Gateway would, and the routes left out (with why).
    ///
    /// The router picks the most specific path first and only then looks at the method, and it does not go back
    /// to the first segment's alternatives once one matched. So besides each route's own path, this registers:
    /// every method at a path that a less specific route serves for that method; each route that starts with a
    /// parameter again under every literal first segment; and each intermediate path that some route matches.
    func routerRoutes(
        reservedSegments: Set<String>, webPaths: Set<String> = []
    ) -> (routes: [RouterRoute], refused: [(route: RouteDefinition, reason: String)]) {
        var usable: [Entry] = []
        var refused: [(route: RouteDefinition, reason: String)] = []
        for entry in entries {
            if let reason = Self.refusal(entry, reservedSegments: reservedSegments) {
                refused.append((entry.route, reason))
            } else {
                usable.append(entry)
            }
        }
        let shapes = Self.routerShapes(usable)
        var methods = Self.standardMethods
        for entry in usable where !methods.contains(entry.route.method) && entry.route.method != "ANY" {
            methods.append(entry.route.method)
        }
        let webShapes = webPaths.map { $0.split(separator: "/").map { ShapeElement.literal(String($0)) } }
        var routes: [RouterRoute] = []
        for shape in shapes {
            let path = Self.routerPath(shape)
            let yields = webShapes.contains { Self.covers(shape, $0) }
            for name in methods {
                guard let method = HTTPRequest.Method(name), let target = Self.target(shape, name, usable) else {
                    continue
                }
                routes.append(
                    RouterRoute(
                        path: path, method: method, target: target,
                        yieldsToWebFiles: yields && (name == "GET" || name == "HEAD")))
            }
        }
        return (routes, refused)
    }

    /// The router paths (as shapes) that serve `entries`: each route's own; each route that starts with a
    /// parameter or greedy again under every literal first segment (the router does not go back to the first
    /// segment's alternatives); each intermediate path some route matches (nor does it go back from a path that
    /// ends on an intermediate node); and a greedy segment next to a parameter as one parameter, then one
    /// parameter and greedy (the router refuses `:p` and `**` side by side).
    static func routerShapes(_ entries: [Entry]) -> [[ShapeElement]] {
        var shapes: [[ShapeElement]] = []
        var seen: Set<[ShapeElement]> = []
        func add(_ shape: [ShapeElement]) { if seen.insert(shape).inserted { shapes.append(shape) } }
        for entry in entries { add(shape(entry.segments)) }
        var firstLiterals: [ShapeElement] = []
        for shape in shapes {
            if case .literal = shape.first, let first = shape.first, !firstLiterals.contains(first) {
                firstLiterals.append(first)
            }
        }
        for shape in shapes {
            guard let first = shape.first, first == .parameter || first == .greedy else { continue }
            for literal in firstLiterals {
                add([literal] + shape.dropFirst())
                if first == .greedy { add([literal, .greedy]) }
            }
        }
        for shape in shapes where shape.count > 1 {
            for length in 1..<shape.count {
                let prefix = Array(shape.prefix(length))
                if entries.contains(where: { overlaps($0.segments, prefix) }) { add(prefix) }
            }
        }
        // Greedy next to a parameter: `/a/**` is `/a/:p1` and `/a/:p1/**`, and so on down.
        var index = 0
        while index < shapes.count {
            let shape = shapes[index]
            index += 1
            guard shape.last == .greedy else { continue }
            let prefix = Array(shape.dropLast())
            let clashes = shapes.contains { other in
                other.count > prefix.count && other[prefix.count] == .parameter
                    && Array(other.prefix(prefix.count)) == prefix
            }
            guard clashes else { continue }
            index -= 1
            shapes.remove(at: index)
            seen.remove(shape)
            add(prefix + [.parameter])
            add(prefix + [.parameter, .greedy])
        }
        return shapes
    }

    /// What requests with `method` whose path has `shape` get: the first route (in priority order) that serves
    /// the method and matches every such path; ``RouterRoute/Target/matched`` when a route before it matches
    /// only some of them; nil when none matches any. Routes more specific than `shape` have router paths of their
    /// own, which the router tries first: a path that reaches `shape` matches none of them.
    static func target(_ shape: [ShapeElement], _ method: String, _ entries: [Entry]) -> RouterRoute.Target? {
        for entry in entries where serves(entry.route.method, method) {
            let segments = Self.shape(entry.segments)
            if outranks(segments, shape) { continue }
            if covers(segments, shape) { return .bound(RouteBinding(entry)) }
            if overlaps(entry.segments, shape) { return .matched }
        }
        return nil
    }

    /// Whether the router tries `first` before `second`: at the first segment where they differ, a literal
    /// beats a parameter, which beats greedy (different literals never meet).
    static func outranks(_ first: [ShapeElement], _ second: [ShapeElement]) -> Bool {
        func rank(_ element: ShapeElement) -> Int {
            switch element {
            case .literal: return 0
            case .parameter: return 1
            case .greedy: return 2
            }
        }
        for (a, b) in zip(first, second) {
            if rank(a) != rank(b) { return rank(a) < rank(b) }
            if a != b { return false }
        }
        return false
    }

    static func shape(_ segments: [Segment]) -> [ShapeElement] {
        segments.map {
            switch $0 {
            case .literal(let text): return .literal(text)
            case .parameter: return .parameter
            case .greedy: return .greedy
            }
        }
    }

    static func routerPath(_ shape: [ShapeElement]) -> String {
        "/"
            + shape.enumerated().map { index, element in
                switch element {
                case .literal(let text): return text
                case .parameter: return ":p\(index)"
                case .greedy: return "**"
                }
            }.joined(separator: "/")
    }

    /// Whether every path with shape `inner` matches `outer`.
    static func covers(_ outer: [ShapeElement], _ inner: [ShapeElement]) -> Bool {
        for (index, element) in outer.enumerated() {
            if element == .greedy { return index < inner.count }
            guard index < inner.count else { return false }
            switch (element, inner[index]) {
            case (.literal(let a), .literal(let b)): guard a == b else { return false }
            case (.parameter, .literal), (.parameter, .parameter): continue
            default: return false
            }
        }
        return outer.count == inner.count
    }

    /// Whether some path matches both a route and a shape.
    static func overlaps(_ segments: [Segment], _ shape: [ShapeElement]) -> Bool {
        let route = Self.shape(segments)
        var index = 0
        while true {
            switch (index < route.count ? route[index] : nil, index < shape.count ? shape[index] : nil) {
            case (nil, nil): return true
            case (nil, _), (_, nil): return false
            case (.greedy, _), (_, .greedy): return true
            case (.literal(let a), .literal(let b)) where a != b: return false
            default: index += 1
            }
        }
    }
}
