import EventLoop
import HTTP2
import Logging
import Metrics
import RPC
import Service
import Timing

/// Settings of the gRPC door, with units in the names (RPC.md, "gRPC on --grpc-port").
public struct GRPCConfiguration: Sendable {
    /// HTTP/2 settings and limits (concurrent streams, frame size, header list size, windows).
    public var http2 = HTTP2Configuration()
    /// Largest request message, after decompression; larger is RESOURCE_EXHAUSTED.
    public var messageBytesMax = 4 * 1_048_576
    /// Request bytes one connection may hold while its calls are read, across its streams; a
    /// stream that would go beyond it is refused (RESOURCE_EXHAUSTED) instead of growing memory.
    public var connectionBufferBytesMax = 16 * 1_048_576
    /// Unsent response bytes per connection in the socket buffer before further frames wait in
    /// the HTTP/2 connection and its input stops being read.
    public var pendingOutputBytesMax = 256 * 1_024
    /// An idle connection (no open stream) is closed after this long.
    public var idleTimeoutMilliseconds: Int64 = 300_000

    public init() {}
}

/// Methods served besides the reservation service, by path: unary ones (health) answer one
/// message; streaming ones (reflection) answer each request message with one response message.
public struct GRPCExtraMethods: Sendable {
    public typealias Handler = @Sendable (UnsafeRawBufferPointer) -> Result<[UInt8], RPCStatus>
    public var unary: [String: Handler] = [:]
    public var perMessage: [String: Handler] = [:]

    public init() {}
}

/// gRPC over HTTP/2 cleartext (prior knowledge) on the event loops: one `GRPCConnectionHandler`
/// per connection; calls go to `ReservationRPC` exactly as Connect's do.
public final class GRPCServer: EventLoopService {
    let rpc: ReservationRPC
    let service: ReservationService
    let extra: GRPCExtraMethods
    let configuration: GRPCConfiguration
    let clock: any Clock
    let metrics: GRPCMetrics?
    private let routeTables: [RouteTable]

    /// One loop's routes by path: every served path, each with that loop's metric series.
    private final class RouteTable: @unchecked Sendable {  // element i of `routeTables` is used only on loop i's thread
        let routes: [String: GRPCRoute]
        init(_ routes: [String: GRPCRoute]) { self.routes = routes }
    }

    public init(rpc: ReservationRPC, service: ReservationService, extra: GRPCExtraMethods, configuration: GRPCConfiguration,
                loopCount: Int, registry: MetricsRegistry?, clock: any Clock = SystemClock()) {
        self.rpc = rpc
        self.service = service
        self.extra = extra
        self.configuration = configuration
        self.clock = clock
        let metrics = registry.map { GRPCMetrics(registry: $0) }
        self.metrics = metrics
        var calls: [(String, GRPCRoute.Call)] = rpc.methods.map { ("/\($0.serviceName)/\($0.name)", .reservation($0)) }
        calls += extra.unary.map { ($0.key, .unary($0.value)) }
        calls += extra.perMessage.map { ($0.key, .perMessage($0.value)) }
        routeTables = (0..<loopCount).map { _ in
            RouteTable(Dictionary(calls.map { path, call in (path, GRPCRoute(path: path, call: call, metrics: metrics)) },
                                  uniquingKeysWith: { first, _ in first }))
        }
    }

    /// The method served at `path`, with its metric series, as loop `loop` knows it; nil when
    /// nothing is served there.
    func route(_ path: String, loop: Int) -> GRPCRoute? {
        routeTables[loop].routes[path]
    }

    public func makeHandler(for connection: Connection) -> ConnectionHandler {
        GRPCConnectionHandler(server: self, connection: connection)
    }

    public func loopWillSleep(_ loop: EventLoop) {}
}

/// The gRPC series, with the names gRPC users know (grpc-ecosystem/go-grpc-prometheus). Label
/// values are bounded: only served methods are recorded (see `GRPCRoute`).
final class GRPCMetrics: Sendable {
    let handled: CounterFamily
    let handling: HistogramFamily
    let connections: Gauge
    let streams: Gauge

    init(registry: MetricsRegistry) {
        handled = registry.counterFamily(
            name: "grpc_server_handled_total", help: "RPCs completed on the gRPC port, by service, method and status code.",
            labelNames: ["grpc_type", "grpc_service", "grpc_method", "grpc_code"])
        handling = registry.histogramFamily(
            name: "grpc_server_handling_seconds", help: "Time from an RPC's headers to its status, in seconds.",
            labelNames: ["grpc_type", "grpc_service", "grpc_method"])
        connections = registry.gauge(name: "http2_connections_open", help: "HTTP/2 connections open on the gRPC port.")
        streams = registry.gauge(name: "http2_streams_open", help: "HTTP/2 streams open on the gRPC port.")
    }
}

/// A served path as one loop knows it: what answers it, and its metric series, created on first
/// use. Resolved once per stream (and per connection, while the path repeats), so a call costs no
/// hashing of its path, no lock and no allocation for its metrics.
final class GRPCRoute {
    enum Call {
        case reservation(RPCMethod)
        case unary(GRPCExtraMethods.Handler)
        case perMessage(GRPCExtraMethods.Handler)
    }

    let path: String
    let call: Call
    private let metrics: GRPCMetrics?
    private let labels: (type: String, service: String, method: String)
    /// By code (0–16, the codes gRPC defines).
    private var handled = [Counter?](repeating: nil, count: 17)
    private var handling: Histogram?

    init(path: String, call: Call, metrics: GRPCMetrics?) {
        self.path = path
        self.call = call
        self.metrics = metrics
        let (service, method) = Self.split(path)
        if case .perMessage = call {
            labels = ("bidi_stream", service, method)
        } else {
            labels = ("unary", service, method)
        }
    }

    var isStreaming: Bool {
        if case .perMessage = call { return true }
        return false
    }

    func record(code: RPCCode, seconds: Double, shard: Int) {
        guard let metrics else { return }
        let index = min(max(Int(code.rawValue), 0), handled.count - 1)
        let counter = handled[index] ?? {
            let created = metrics.handled.labels(labels.type, labels.service, labels.method, GRPCWire.codeLabel(code))
            handled[index] = created
            return created
        }()
        counter.increment(shard: shard)
        let histogram = handling ?? {
            let created = metrics.handling.labels(labels.type, labels.service, labels.method)
            handling = created
            return created
        }()
        histogram.observe(shard: shard, seconds: seconds)
    }

    /// `/pkg.Service/Method` → (`pkg.Service`, `Method`) (served paths all have this shape).
    static func split(_ path: String) -> (String, String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 2 else { return ("unknown", "unknown") }
        return (String(parts[0]), String(parts[1]))
    }
}
