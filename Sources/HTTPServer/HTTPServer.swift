import EventLoop
import HTTP1
import Synchronization

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
    /// A request body must arrive within the head timeout plus one second per this many bytes
    /// received (a minimum rate), and never take longer than `bodyTimeoutMilliseconds` → 408.
    public var bodyBytesPerSecondMin = 1024
    /// Longest a request body may take to arrive, from the end of its head → 408.
    public var bodyTimeoutMilliseconds: Int64 = 60_000
    /// Request body bytes buffered across all connections at once; beyond it a request gets 503.
    public var bodyBytesInFlightMax = 256 * 1024 * 1024

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
    /// Body bytes received and not yet handed to a handler, across every connection.
    let bodyBudget: ByteBudget
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
        self.bodyBudget = ByteBudget(limit: configuration.bodyBytesInFlightMax)
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

/// A count of bytes shared by every loop with a hard limit: taking more than is left fails and
/// changes nothing. One atomic add per change, no lock.
final class ByteBudget: Sendable {
    let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    /// Takes `count` bytes; false (and nothing taken) when that would pass the limit.
    func acquire(_ count: Int) -> Bool {
        let total = used.add(count, ordering: .relaxed).newValue
        guard total > limit else { return true }
        used.subtract(count, ordering: .relaxed)
        return false
    }

    func release(_ count: Int) {
        used.subtract(count, ordering: .relaxed)
    }

    /// Bytes taken now.
    var inUse: Int { used.load(ordering: .relaxed) }
}
