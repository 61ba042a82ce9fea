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
    public typealias Handler = @Sendable ([UInt8]) -> Result<[UInt8], RPCStatus>
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
    private let sleepHook: (@Sendable (Int) -> Void)?

    /// - Parameter loopWillSleep: runs on each loop thread (with its index) before it sleeps.
    public init(rpc: ReservationRPC, service: ReservationService, extra: GRPCExtraMethods, configuration: GRPCConfiguration,
                registry: MetricsRegistry?, clock: any Clock = SystemClock(), loopWillSleep: (@Sendable (Int) -> Void)? = nil) {
        self.rpc = rpc
        self.service = service
        self.extra = extra
        self.configuration = configuration
        self.clock = clock
        self.metrics = registry.map { GRPCMetrics(registry: $0, loopCount: $0.shardCount) }
        self.sleepHook = loopWillSleep
    }

    public func makeHandler(for connection: Connection) -> ConnectionHandler {
        GRPCConnectionHandler(server: self, connection: connection)
    }

    public func loopWillSleep(_ loop: EventLoop) {
        sleepHook?(loop.index)
    }
}

/// The gRPC series, with the names gRPC users know (grpc-ecosystem/go-grpc-prometheus). Label
/// values are bounded: only served methods are recorded, and each loop keeps the children it has
/// used, so a call costs no lock and no allocation once its series exists.
final class GRPCMetrics: Sendable {
    let handled: CounterFamily
    let handling: HistogramFamily
    let connections: Gauge
    let streams: Gauge
    private let caches: [SeriesCache]

    /// The series one loop has used, by method path and code.
    final class SeriesCache: @unchecked Sendable {  // element i of `caches` is used only on loop i's thread
        var handled: [String: [Int32: Counter]] = [:]
        var handling: [String: Histogram] = [:]
    }

    init(registry: MetricsRegistry, loopCount: Int) {
        caches = (0..<loopCount).map { _ in SeriesCache() }
        handled = registry.counterFamily(
            name: "grpc_server_handled_total", help: "RPCs completed on the gRPC port, by service, method and status code.",
            labelNames: ["grpc_type", "grpc_service", "grpc_method", "grpc_code"])
        handling = registry.histogramFamily(
            name: "grpc_server_handling_seconds", help: "Time from an RPC's headers to its status, in seconds.",
            labelNames: ["grpc_type", "grpc_service", "grpc_method"])
        connections = registry.gauge(name: "http2_connections_open", help: "HTTP/2 connections open on the gRPC port.")
        streams = registry.gauge(name: "http2_streams_open", help: "HTTP/2 streams open on the gRPC port.")
    }

    func record(path: String, streaming: Bool, code: RPCCode, seconds: Double, shard: Int) {
        let cache = caches[shard]
        let type = streaming ? "bidi_stream" : "unary"
        let counter = cache.handled[path]?[code.rawValue] ?? {
            let (service, method) = Self.split(path)
            let created = handled.labels(type, service, method, GRPCWire.codeLabel(code))
            cache.handled[path, default: [:]][code.rawValue] = created
            return created
        }()
        counter.increment(shard: shard)
        let histogram = cache.handling[path] ?? {
            let (service, method) = Self.split(path)
            let created = handling.labels(type, service, method)
            cache.handling[path] = created
            return created
        }()
        histogram.observe(shard: shard, seconds: seconds)
    }

    /// `/pkg.Service/Method` → (`pkg.Service`, `Method`); an unknown path keeps a bounded label.
    static func split(_ path: String) -> (String, String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].utf8.count <= 128, parts[1].utf8.count <= 64 else { return ("unknown", "unknown") }
        return (String(parts[0]), String(parts[1]))
    }
}
