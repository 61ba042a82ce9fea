import Glibc
import HTTP1
import JSON
import Logging
import Metrics
import Timing

/// What the HTTP layer records about each request: a latency histogram by method, route template
/// (never the raw path) and status, and an access log line (sampled).
public final class HTTPObservability: Sendable {
    let requests: HistogramFamily
    let log: Log?
    /// Fraction of requests that get an access log line: 1 logs all, 0 none.
    let accessLogSampleRate: Double

    public init(registry: MetricsRegistry, log: Log?, accessLogSampleRate: Double) {
        self.requests = registry.histogramFamily(
            name: "http_server_requests_seconds", help: "HTTP requests by method, route template and status",
            labelNames: ["method", "route", "status"])
        self.log = log
        self.accessLogSampleRate = accessLogSampleRate
    }
}

/// One loop's share of the observability work, touched only by that loop's thread.
struct LoopObservability {
    /// Histogram children already looked up, by (method, route, status); the family's lock is taken
    /// only on a first sighting, so a steady request stream neither locks nor allocates.
    private var histograms: [Int: Histogram] = [:]
    /// Access lines gathered during one wake-up, handed to the log in one piece before the loop sleeps.
    var pendingLines: [UInt8] = []
    private var sampleCounter: UInt64 = 0

    mutating func histogram(_ shared: HTTPObservability, method: HTTPMethod, route: String, routeIndex: Int, status: Int) -> Histogram {
        let key = (routeIndex << 20) | (Int(method.rawValue) << 12) | status
        if let known = histograms[key] { return known }
        let created = shared.requests.labels(method.description, route, String(status))
        histograms[key] = created
        return created
    }

    /// Whether this request gets an access line (deterministic sampling: every n-th request).
    mutating func sampled(_ rate: Double) -> Bool {
        if rate >= 1 { return true }
        if rate <= 0 { return false }
        sampleCounter &+= 1
        let every = UInt64(max(1, (1 / rate).rounded()))
        return sampleCounter % every == 0
    }
}

/// Facts about one request, kept until its answer is written (it may be deferred).
struct RequestRecord {
    var method: HTTPMethod = .get
    var route: String = ""
    var routeIndex = 0
    var startNanoseconds: UInt64 = 0
    var traceID = TraceID(high: 0, low: 0)
    var user: String? = nil
    var hasRecord = false
}

extension LoopObservability {
    /// Appends one access log line for a finished request.
    mutating func appendAccessLine(_ record: RequestRecord, status: Int, bytes: Int, durationNanoseconds: UInt64, wallMilliseconds: Int64) {
        var line = pendingLines
        pendingLines = []
        line.append(contentsOf: #"{"ts":""#.utf8)
        RFC3339.append(milliseconds: wallMilliseconds, to: &line)
        line.append(contentsOf: #"","level":"info","msg":"access","method":""#.utf8)
        line.append(contentsOf: record.method.description.utf8)
        line.append(contentsOf: #"","route":"#.utf8)
        JSONWriter.appendQuoted(record.route, to: &line)
        line.append(contentsOf: #","status":"#.utf8)
        JSONWriter.appendInteger(Int64(status), to: &line)
        line.append(contentsOf: #","durationUs":"#.utf8)
        JSONWriter.appendInteger(Int64(durationNanoseconds / 1000), to: &line)
        line.append(contentsOf: #","bytes":"#.utf8)
        JSONWriter.appendInteger(Int64(bytes), to: &line)
        line.append(contentsOf: #","traceId":""#.utf8)
        line.append(contentsOf: record.traceID.hexBytes)
        line.append(contentsOf: #"","user":"#.utf8)
        JSONWriter.appendQuoted(record.user ?? "anonymous", to: &line)
        line.append(contentsOf: "}\n".utf8)
        pendingLines = line
    }
}
