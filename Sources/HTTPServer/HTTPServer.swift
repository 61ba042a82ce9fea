import EventLoop
import HTTP1

/// Settings of the HTTP layer, with units in the names.
public struct HTTPServerConfiguration: Sendable {
    public var limits = HTTPLimits()
    /// A request head (and body) must arrive within this long of its first byte → 408.
    public var headTimeoutMilliseconds: Int64 = 10_000
    /// An idle keep-alive connection is closed after this long.
    public var idleTimeoutMilliseconds: Int64 = 60_000
    /// Unsent answers a slow reader may pile up before its requests stop being read.
    public var pendingOutputBytesMax = 1024 * 1024
    /// Bytes of pipelined requests buffered while an answer is awaited.
    public var pipelineBufferBytesMax = 64 * 1024

    public init() {}
}

/// HTTP/1.1 over the event loops: one `HTTPConnectionHandler` per connection, dispatching to an
/// immutable `Router`.
public final class HTTPServer: EventLoopService {
    public let router: Router
    public let configuration: HTTPServerConfiguration
    /// The parser's limits: the configured ones, with the body limit raised to the largest any
    /// route allows (each route's own limit is checked once the route is known).
    let parserLimits: HTTPLimits
    /// The smallest body limit of any route: a declared body up to this size needs no route lookup.
    let bodyBytesCheckedAbove: Int
    private let loopStates: [LoopState]
    let observability: HTTPObservability?

    public init(router: Router, configuration: HTTPServerConfiguration, loopCount: Int, observability: HTTPObservability? = nil) {
        self.router = router
        self.configuration = configuration
        var limits = configuration.limits
        let routeLimits = router.routes.compactMap(\.body?.bytesMax)
        limits.bodyBytesMax = max(limits.bodyBytesMax, routeLimits.max() ?? 0)
        self.parserLimits = limits
        self.bodyBytesCheckedAbove = min(configuration.limits.bodyBytesMax, routeLimits.min() ?? Int.max)
        self.observability = observability
        self.loopStates = (0..<loopCount).map { _ in LoopState(streamPendingBytesMax: configuration.pendingOutputBytesMax) }
    }

    /// The largest body `route` takes.
    func bodyBytesMax(_ route: Route?) -> Int {
        route?.body?.bytesMax ?? configuration.limits.bodyBytesMax
    }

    /// The answer to a body of more than `bodyBytesMax(route)` bytes.
    func bodyRefusal(_ route: Route?, error: (Int) -> HTTPResponse) -> HTTPResponse {
        let limit = bodyBytesMax(route)
        return route?.body?.refusal(limit) ?? error(limit)
    }

    public func makeHandler(for connection: Connection) -> ConnectionHandler {
        HTTPConnectionHandler(server: self, connection: connection, loopState: loopStates[connection.loop.index])
    }

    public func loopWillSleep(_ loop: EventLoop) {
        let state = loopStates[loop.index]
        // One hand-off of the wake-up's access lines, not one per request.
        if !state.observability.pendingLines.isEmpty, let log = observability?.log {
            log.enqueue(state.observability.pendingLines)
            state.observability.pendingLines.removeAll(keepingCapacity: true)
        }
    }
}
