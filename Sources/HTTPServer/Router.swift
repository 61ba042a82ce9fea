import Glibc
import HTTP1

/// Up to eight path parameters, stored inline (no allocation per request).
public struct PathParameters: Sendable {
    public static let capacity = 8
    private var spans: (ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan) =
        (.empty, .empty, .empty, .empty, .empty, .empty, .empty, .empty)
    public private(set) var count = 0

    public init() {}

    mutating func append(_ span: ByteSpan) {
        precondition(count < Self.capacity)
        withUnsafeMutableBytes(of: &spans) { $0.storeBytes(of: span, toByteOffset: count * MemoryLayout<ByteSpan>.stride, as: ByteSpan.self) }
        count += 1
    }

    mutating func removeAll() { count = 0 }

    public subscript(index: Int) -> ByteSpan {
        precondition(index < count)
        return withUnsafeBytes(of: spans) { $0.load(fromByteOffset: index * MemoryLayout<ByteSpan>.stride, as: ByteSpan.self) }
    }
}

/// The result of looking a request up in the router.
public enum RouteMatch: Sendable {
    case found(Route)
    /// The path exists, but not for this method; `allow` lists the methods that do.
    case methodNotAllowed(allow: String)
    case notFound
}

/// A registered route: its template (the metrics label, never the raw path) and its handler.
public struct Route: Sendable {
    public let method: HTTPMethod
    public let template: String
    public let handler: HTTPHandler
    /// Index of the route, dense from 0, for per-route metrics arrays.
    public let index: Int
    /// The largest body this route takes, when it differs from the server's `--body-bytes-max`.
    public let body: BodyPolicy?
}

/// A route's own body limit and how it refuses a larger body (in its own wire format, e.g. an RPC
/// error), instead of the server's generic 413.
public struct BodyPolicy: Sendable {
    /// Largest body in bytes.
    public var bytesMax: Int
    /// The answer to a body over `bytesMax` (given the limit); the connection closes after it when
    /// the body was not read.
    public var refusal: @Sendable (_ bytesMax: Int) -> HTTPResponse

    public init(bytesMax: Int, refusal: @escaping @Sendable (_ bytesMax: Int) -> HTTPResponse) {
        self.bytesMax = bytesMax
        self.refusal = refusal
    }
}

/// What a route says about itself for a description of the API. The module that writes the
/// description gives it a shape; the router only keeps it beside the route it names.
public protocol RouteDescription: Sendable {}

/// A route left out of the API description on purpose, and why (e.g. another protocol's door that
/// its own contract describes).
public struct UndescribedRoute: RouteDescription {
    public let reason: String

    public init(_ reason: String) { self.reason = reason }
}

/// A description and the route (method and template) it names.
public struct DescribedRoute: Sendable {
    public let method: HTTPMethod
    public let template: String
    public let description: any RouteDescription
}

/// Collects routes while the server is being built; `build()` compiles them into an immutable
/// `Router` and refuses ambiguous or duplicate routes at start-up.
public struct RouterBuilder {
    private var routes: [(method: HTTPMethod, template: String, body: BodyPolicy?, handler: HTTPHandler)] = []
    private var descriptions: [DescribedRoute] = []

    public init() {}

    /// Registers `handler` for `method` on a template such as `/v1/reservations/{reservationId}`;
    /// `body` gives the route its own body limit.
    public mutating func add(_ method: HTTPMethod, _ template: String, body: BodyPolicy? = nil, _ handler: @escaping HTTPHandler) {
        routes.append((method, template, body, handler))
    }

    /// Describes the route `method` `template` for the API description; kept beside its `add`.
    /// Whether every route has a description, and every description a route, is checked by the
    /// module that writes the description, not here.
    public mutating func describe(_ method: HTTPMethod, _ template: String, _ description: any RouteDescription) {
        descriptions.append(DescribedRoute(method: method, template: template, description: description))
    }

    public struct BuildError: Error, CustomStringConvertible {
        public let description: String
    }

    public func build() throws(BuildError) -> Router {
        var shapes: [Router.Shape] = []
        var index = 0
        for (method, template, body, handler) in routes {
            guard template.hasPrefix("/") else { throw BuildError(description: "route \(template) must start with /") }
            let segments = try Self.segments(of: template)
            if let existing = shapes.firstIndex(where: { $0.segments == segments }) {
                guard shapes[existing].template == template else {
                    throw BuildError(description: "routes \(shapes[existing].template) and \(template) are ambiguous")
                }
                guard !shapes[existing].routes.contains(where: { $0.method == method }) else {
                    throw BuildError(description: "\(method) \(template) is registered twice")
                }
                shapes[existing].routes.append(Route(method: method, template: template, handler: handler, index: index, body: body))
            } else {
                let route = Route(method: method, template: template, handler: handler, index: index, body: body)
                shapes.append(Router.Shape(template: template, segments: segments, routes: [route]))
            }
            index += 1
        }
        // Most specific first: at the first segment where two shapes differ, a literal beats a parameter.
        shapes.sort { left, right in
            for (a, b) in zip(left.segments, right.segments) where a != b {
                if case .literal = a, case .parameter = b { return true }
                if case .parameter = a, case .literal = b { return false }
            }
            return left.segments.count < right.segments.count
        }
        for position in shapes.indices {
            var methods = shapes[position].routes.map(\.method)
            if methods.contains(.get) && !methods.contains(.head) { methods.append(.head) }
            shapes[position].allow = methods.map(\.description).joined(separator: ", ")
        }
        return Router(shapes: shapes, routeCount: index, descriptions: descriptions)
    }

    private static func segments(of template: String) throws(BuildError) -> [Router.Segment] {
        let parts = template.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        if template == "/" { return [] }
        var result: [Router.Segment] = []
        for part in parts {
            let text = String(decoding: part, as: UTF8.self)
            if text.hasPrefix("{") && text.hasSuffix("}") && text.count > 2 {
                result.append(.parameter(String(text.dropFirst().dropLast())))
            } else if text.contains("{") || text.contains("}") || text.isEmpty {
                throw BuildError(description: "route \(template) has a malformed segment \"\(text)\"")
            } else {
                result.append(.literal(Array(part)))
            }
        }
        guard result.count <= PathParameters.capacity else { throw BuildError(description: "route \(template) has more than \(PathParameters.capacity) segments") }
        guard result.filter({ if case .parameter = $0 { true } else { false } }).count <= PathParameters.capacity else {
            throw BuildError(description: "route \(template) has more than \(PathParameters.capacity) parameters")
        }
        return result
    }
}

/// The immutable routing table, shared by every loop.
public final class Router: Sendable {
    enum Segment: Equatable, Sendable {
        case literal([UInt8])
        case parameter(String)

        static func == (left: Segment, right: Segment) -> Bool {
            switch (left, right) {
            case (.literal(let a), .literal(let b)): a == b
            case (.parameter, .parameter): true
            default: false
            }
        }
    }

    struct Shape: Sendable {
        let template: String
        let segments: [Segment]
        var routes: [Route]
        var allow: String = ""
    }

    private let shapes: [Shape]
    public let routeCount: Int
    /// The descriptions given with `RouterBuilder.describe`, in the order they were given.
    public let descriptions: [DescribedRoute]

    init(shapes: [Shape], routeCount: Int, descriptions: [DescribedRoute]) {
        self.shapes = shapes
        self.routeCount = routeCount
        self.descriptions = descriptions
    }

    /// Every registered route, for listing and per-route metrics.
    public var routes: [Route] { shapes.flatMap(\.routes) }

    /// Finds the route for a method and a (still percent-encoded) path inside `bytes`, filling
    /// `parameters` with the spans of the template's parameters.
    public func match(_ method: HTTPMethod, path: ByteSpan, in bytes: UnsafeRawBufferPointer, parameters: inout PathParameters) -> RouteMatch {
        var pieces = PathParameters()  // reused as inline storage for the path's segments
        var segmentCount = 0
        if path.count > 1 || (path.count == 1 && bytes[path.start] != 0x2F) {
            var start = path.start + (bytes[path.start] == 0x2F ? 1 : 0)
            while true {
                var end = start
                while end < path.end, bytes[end] != 0x2F { end += 1 }
                if segmentCount == PathParameters.capacity { return .notFound }
                pieces.append(ByteSpan(start: start, end: end))
                segmentCount += 1
                if end >= path.end { break }
                start = end + 1
            }
        }
        var allow: String?
        for shape in shapes where shape.segments.count == segmentCount {
            parameters.removeAll()
            var matched = true
            for (position, segment) in shape.segments.enumerated() {
                let piece = pieces[position]
                switch segment {
                case .literal(let literal):
                    if !Self.equal(literal, bytes, piece) { matched = false }
                case .parameter:
                    if piece.isEmpty { matched = false } else { parameters.append(piece) }
                }
                if !matched { break }
            }
            guard matched else { continue }
            for route in shape.routes where route.method == method { return .found(route) }
            if method == .head, let get = shape.routes.first(where: { $0.method == .get }) { return .found(get) }
            if allow == nil { allow = shape.allow }
        }
        parameters.removeAll()
        if let allow { return .methodNotAllowed(allow: allow) }
        return .notFound
    }

    @inline(__always)
    private static func equal(_ literal: [UInt8], _ bytes: UnsafeRawBufferPointer, _ span: ByteSpan) -> Bool {
        guard literal.count == span.count else { return false }
        return literal.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress! + span.start, span.count) == 0 }
    }
}
